// What every command gets: the global options resolved (flags over environment over defaults), the
// credential store, the output, and the core's client options for the profile.
import { hostname, release } from 'node:os'
import type { PlexClientOptions } from '@plex-auth/core'
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
  'plex-tv-url': { type: 'string', valueHint: 'url', description: 'plex.tv base URL (env PLEX_TV_URL)' },
  debug: { type: 'boolean', description: 'Print the stack trace of an error' },
} as const

/** The parsed values of {@link globalArgs}. */
export interface GlobalArgValues {
  json?: boolean
  profile?: string
  'plex-tv-url'?: string
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
  /** undefined: the core's default (https://plex.tv). */
  readonly plexTvUrl: string | undefined
  /** Where the JWT endpoints live; follows an overridden plex.tv URL unless PLEX_CLIENTS_URL says otherwise. */
  readonly clientsUrl: string | undefined
  /** The approval page for a PIN. */
  readonly appUrl: string | undefined

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
    this.plexTvUrl = args['plex-tv-url'] || env.PLEX_TV_URL || undefined
    this.clientsUrl = env.PLEX_CLIENTS_URL || this.plexTvUrl
    // A plex.tv stand-in (the fake Plex) serves its approval page at /auth; the real one is app.plex.tv.
    this.appUrl =
      env.PLEX_APP_URL || (this.plexTvUrl ? `${this.plexTvUrl.replace(/\/+$/, '')}/auth` : undefined)
  }

  /** The profile with a token in it; exit 3 when there is none. */
  signedInProfile(): StoredProfile & { token: string } {
    const profile = this.store.get(this.profileName)
    if (!profile?.token) throw notSignedIn(this.profileName)
    return profile as StoredProfile & { token: string }
  }

  /** The core's options for a profile: its device identity and where Plex is. */
  clientOptions(profile: StoredProfile): PlexClientOptions {
    return {
      clientIdentifier: profile.clientIdentifier,
      product: PRODUCT,
      version: VERSION,
      platform: platformName(),
      platformVersion: release(),
      device: 'CLI',
      deviceName: hostname(),
      ...(this.plexTvUrl ? { plexTvUrl: this.plexTvUrl } : {}),
      ...(this.clientsUrl ? { clientsUrl: this.clientsUrl } : {}),
    }
  }
}

function platformName(): string {
  if (process.platform === 'darwin') return 'macOS'
  if (process.platform === 'win32') return 'Windows'
  if (process.platform === 'linux') return 'Linux'
  return process.platform
}
