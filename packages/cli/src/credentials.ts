// The one module that reads and writes credentials.json. Sync fs on purpose: a CLI does one thing at a
// time, and `plex-auth token` must start fast.
import { randomBytes, randomUUID } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { CliError } from './exit.ts'

/** The account a token belongs to, as far as plex-auth shows it (never the token, never `services`). */
export interface StoredAccount {
  id?: number
  uuid?: string
  username?: string | null
  title?: string
  email?: string | null
}

/** One profile: a device identity of its own, and the sign-in made with it, if any. */
export interface StoredProfile {
  /** X-Plex-Client-Identifier: made once per profile and kept, also across logout. */
  clientIdentifier: string
  token?: string
  /** 'jwt': a Plex JWT, refreshed with `deviceKey`; 'legacy': a plex.tv token. */
  tokenType?: 'legacy' | 'jwt'
  /** When a Plex JWT expires (ISO 8601). */
  expiresAt?: string
  /** The device's Ed25519 key pair (a JWK pair, as the core makes it): the long-lived secret of JWT sign-in. */
  deviceKey?: unknown
  account?: StoredAccount
  /** Set after `home switch`: the Home user this token belongs to. */
  homeUser?: { uuid: string; title?: string }
  /** The plex.tv, clients and app base URLs of the sign-in: the token is sent nowhere else. */
  urls?: { plexTv?: string; clients?: string; app?: string }
  /** Set after `home switch`: the credential the profile signed in with, kept so logout can revoke it. */
  original?: StoredCredential
  /** How the token was obtained: pin, password, jwt, home-switch. */
  method?: string
  signedInAt?: string
  /**
   * plex.tv issued a Plex JWT to this client identifier: it refuses password and PIN sign-in under it from
   * then on, so the next login is a new device. Kept across logout, like the identifier.
   */
  jwtIssued?: boolean
  [key: string]: unknown
}

/** A sign-in's credential, as `original` keeps it while the profile is switched to a Home user. */
export interface StoredCredential {
  token: string
  tokenType?: 'legacy' | 'jwt'
  expiresAt?: string
  deviceKey?: unknown
  account?: StoredAccount
  method?: string
  signedInAt?: string
}

export interface CredentialsFile {
  version: 1
  profiles: Record<string, StoredProfile>
  [key: string]: unknown
}

/** A new X-Plex-Client-Identifier: a new device at Plex. */
export function newClientIdentifier(): string {
  return `plex-auth-${randomUUID()}`
}

/** The keys a logout forgets; the rest of a profile (its client identifier) stays. */
const SECRET_KEYS = [
  'token',
  'tokenType',
  'expiresAt',
  'deviceKey',
  'account',
  'homeUser',
  'urls',
  'original',
  'method',
  'signedInAt',
]

/**
 * The directory plex-auth keeps its files in: `$XDG_CONFIG_HOME/plex-auth` when that is set (any
 * platform), else `~/.config/plex-auth` (Linux and the rest), `~/Library/Application Support/plex-auth`
 * (macOS) or `%APPDATA%\plex-auth` (Windows).
 */
export function configDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  // The XDG spec says a relative value is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME
  if (xdg && (xdg.startsWith('/') || /^[A-Za-z]:[\\/]/.test(xdg))) return join(xdg, 'plex-auth')
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'plex-auth')
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'plex-auth')
  return join(home, '.config', 'plex-auth')
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'credentials.json')
}

/** The file's content; an empty one when it does not exist yet. A damaged file is an error, never overwritten. */
export function readCredentials(path: string): CredentialsFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, profiles: {} }
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error })
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new CliError(`${path} is not valid JSON: fix it or delete it, then sign in again`)
  }
  if (!isRecord(data) || !isRecord(data.profiles)) {
    throw new CliError(`${path} is not a plex-auth credentials file: fix it or delete it, then sign in again`)
  }
  for (const profile of Object.values(data.profiles)) {
    if (!isRecord(profile) || typeof profile.clientIdentifier !== 'string') {
      throw new CliError(`${path} has a profile without a client identifier: fix it or delete it`)
    }
  }
  return data as CredentialsFile
}

/**
 * Writes the whole file atomically: a temporary file in the same directory (mode 0600, flushed to disk),
 * then a rename over the old one, so a crash leaves the old file or the new one, never half of one.
 * The directory is made (or tightened) to 0700.
 */
export function writeCredentials(path: string, data: CredentialsFile): void {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  if (process.platform !== 'win32') {
    const mode = statSync(dir).mode & 0o777
    if (mode !== 0o700) chmodSync(dir, 0o700)
  }
  const temporary = join(dir, `.credentials.json.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  // 'wx': never follow or reuse a file someone else put there.
  const fd = openSync(temporary, 'wx', 0o600)
  try {
    writeSync(fd, `${JSON.stringify(data, null, 2)}\n`)
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(temporary, { force: true })
    throw error
  }
  closeSync(fd)
  try {
    renameSync(temporary, path)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
}

/** The stored profiles of one credentials file, read once per command. */
export class CredentialStore {
  readonly path: string
  #data: CredentialsFile | undefined

  constructor(path: string) {
    this.path = path
  }

  #read(): CredentialsFile {
    this.#data ??= readCredentials(this.path)
    return this.#data
  }

  /** The profile, if it exists (signed in or not). */
  get(name: string): StoredProfile | undefined {
    const profile = this.#read().profiles[name]
    return profile && Object.hasOwn(this.#read().profiles, name) ? profile : undefined
  }

  /** The profile, made (with a new client identifier) and saved when it did not exist. */
  ensure(name: string): StoredProfile {
    const existing = this.get(name)
    if (existing) return existing
    return this.save(name, { clientIdentifier: newClientIdentifier() })
  }

  /** Replaces the profile and writes the file (re-read first, so other profiles written meanwhile survive). */
  save(name: string, profile: StoredProfile): StoredProfile {
    this.#data = readCredentials(this.path)
    this.#data.profiles[name] = profile
    writeCredentials(this.path, this.#data)
    return profile
  }

  /** Forgets the profile's sign-in (token, device key, account); keeps its client identifier. */
  forgetSignIn(name: string): void {
    const profile = this.get(name)
    if (!profile) return
    const kept: StoredProfile = { ...profile }
    for (const key of SECRET_KEYS) delete kept[key]
    this.save(name, kept)
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
