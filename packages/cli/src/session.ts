// What every command gets: the global options resolved (flags over environment over defaults), the
// credential store, the output, and the core's client options for the profile.
import { hostname, release } from 'node:os'
import type { PlexClientOptions } from '@plex-auth/core'
import { type BaseUrls, DEFAULT_URLS, normalizeBaseUrl } from './base-urls.ts'
import { CredentialStore, credentialsPath, type StoredProfile } from './credentials.ts'
import { notSignedIn, usageError } from './exit.ts'
import { type Streams, Ui } from './output.ts'

/** The options every command accepts (citty argument definitions). */
export const globalArgs = {
  json: { type: 'boolean', description: 'Print machine-readable JSON on stdout' },
  profile: {
    type: 'string',
    valueHint: 'name',
    description: 'Stored account to use (env PLEX_AUTH_PROFILE, default "default")',
  },
  'plex-tv-url': {
    type: 'string',
    valueHint: 'url',
    description: 'plex.tv base URL at login (env PLEX_TV_URL); later commands use the stored one',
  },
  'force-url': {
    type: 'boolean',
    description: 'Send the stored credentials to a plex.tv URL other than the one the profile signed in with',
  },
  debug: { type: 'boolean', description: 'Print the stack trace of an error' },
} as const

/** The parsed values of {@link globalArgs}. */
export interface GlobalArgValues {
  json?: boolean
  profile?: string
  'plex-tv-url'?: string
  'force-url'?: boolean
  debug?: boolean
}

export const PRODUCT = 'plex-auth'
declare const __VERSION__: string
/** Replaced by the build with package.json's version; tests run the built file. */
export const VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev'

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export class Session {
  readonly ui: Ui
  readonly json: boolean
  readonly debug: boolean
  readonly profileName: string
  readonly store: CredentialStore
  /** Base URLs given by flag or environment (normalized), with where each came from. */
  readonly #given: Partial<Record<keyof BaseUrls, { value: string; source: string }>> = {}
  readonly forceUrl: boolean

  constructor(args: GlobalArgValues, streams: Streams) {
    const env = streams.env
    this.ui = new Ui(streams)
    this.json = args.json === true
    this.debug = args.debug === true
    this.profileName = args.profile || env.PLEX_AUTH_PROFILE || 'default'
    if (!PROFILE_NAME.test(this.profileName)) {
      throw usageError('--profile must be 1-64 letters, digits, dots, dashes or underscores')
    }
    this.store = new CredentialStore(credentialsPath(env))
    this.forceUrl = args['force-url'] === true
    const given = (key: keyof BaseUrls, value: string | undefined, source: string): void => {
      if (value) this.#given[key] = { value: normalizeBaseUrl(value, source), source }
    }
    if (args['plex-tv-url']) given('plexTv', args['plex-tv-url'], '--plex-tv-url')
    else given('plexTv', env.PLEX_TV_URL, 'PLEX_TV_URL')
    given('clients', env.PLEX_CLIENTS_URL, 'PLEX_CLIENTS_URL')
    given('app', env.PLEX_APP_URL, 'PLEX_APP_URL')
  }

  /**
   * Where a sign-in goes, stored with its token: flags and environment over Plex's own. The JWT endpoints
   * follow an overridden plex.tv URL unless PLEX_CLIENTS_URL says otherwise; a plex.tv stand-in (the fake
   * Plex) serves its approval page at /auth.
   */
  signInUrls(): BaseUrls {
    const plexTv = this.#given.plexTv?.value
    return {
      plexTv: plexTv ?? DEFAULT_URLS.plexTv,
      clients: this.#given.clients?.value ?? plexTv ?? DEFAULT_URLS.clients,
      app: this.#given.app?.value ?? (plexTv ? `${plexTv}/auth` : DEFAULT_URLS.app),
    }
  }

  /**
   * Where the profile's credentials may go: the base URLs it signed in with (Plex's own for a profile
   * stored before they were kept). A different plex.tv or clients URL from a flag or the environment is a
   * usage error unless --force-url: a token (or a device JWT signed over its nonce) sent there is theirs.
   */
  profileUrls(profile: StoredProfile): BaseUrls {
    const stored = profile.urls
    const urls: BaseUrls = { ...DEFAULT_URLS }
    if (stored) {
      for (const key of ['plexTv', 'clients', 'app'] as const) {
        const value = stored[key]
        if (typeof value === 'string') urls[key] = normalizeBaseUrl(value, `The stored ${key} URL`)
      }
    }
    for (const key of ['plexTv', 'clients'] as const) {
      const given = this.#given[key]
      if (!given || given.value === urls[key]) continue
      if (!this.forceUrl) {
        throw usageError(
          `${given.source} is ${given.value}, but profile "${this.profileName}" signed in at ${urls[key]}: its credentials go only there (sign in again with that URL, or pass --force-url)`,
        )
      }
      urls[key] = given.value
    }
    return urls
  }

  /**
   * The profile with a token in it; exit 3 when there is none, exit 2 when a flag or the environment
   * points elsewhere than where it signed in (unless `offline`: nothing will be sent).
   */
  signedInProfile(options: { offline?: boolean } = {}): StoredProfile & { token: string } {
    const profile = this.store.get(this.profileName)
    if (!profile?.token) throw notSignedIn(this.profileName)
    if (!options.offline) this.profileUrls(profile)
    return profile as StoredProfile & { token: string }
  }

  /** The core's options for a profile: its device identity and where Plex is (where it signed in, by default). */
  clientOptions(profile: StoredProfile, urls: BaseUrls = this.profileUrls(profile)): PlexClientOptions {
    return {
      clientIdentifier: profile.clientIdentifier,
      product: PRODUCT,
      version: VERSION,
      platform: platformName(),
      platformVersion: release(),
      device: 'CLI',
      deviceName: hostname(),
      plexTvUrl: urls.plexTv,
      clientsUrl: urls.clients,
    }
  }
}

function platformName(): string {
  if (process.platform === 'darwin') return 'macOS'
  if (process.platform === 'win32') return 'Windows'
  if (process.platform === 'linux') return 'Linux'
  return process.platform
}
