import { PlexError } from './errors.ts'

/** How GET requests are retried; `false` turns retries off. */
export interface PlexRetryOptions {
  /** Retries after the first attempt. Default 2. */
  retries?: number
  /** Base of the exponential backoff, in ms. Default 200. */
  minDelayMs?: number
  /** Cap of the exponential backoff, in ms. Default 2000. */
  maxDelayMs?: number
  /** Longest `Retry-After` waited for, in ms; a longer one ends the retries at once. Default 5000. */
  maxRetryAfterMs?: number
  /** Called before each retry's wait (logging, metrics). */
  onRetry?: (info: PlexRetryInfo) => void
}

/** What {@link PlexRetryOptions.onRetry} receives. */
export interface PlexRetryInfo {
  /** 1 for the first retry. */
  attempt: number
  delayMs: number
  error: PlexError
}

/** The fetch signature the core needs; `globalThis.fetch` fits, and so does a test fake. */
export type PlexFetch = (input: string, init: RequestInit) => Promise<Response>

/** Options shared by every call: who is calling, where Plex lives, how to fetch. */
export interface PlexClientOptions {
  /** Opaque id, stable per installation (X-Plex-Client-Identifier). Required. */
  clientIdentifier: string
  /** The name users see under "Authorized Devices" (X-Plex-Product). */
  product?: string
  version?: string
  platform?: string
  platformVersion?: string
  device?: string
  /** UTF-8 allowed. */
  deviceName?: string
  model?: string
  /** Default X-Plex-Token. */
  token?: string
  /** Default Plex Media Server base URL, e.g. `https://10-0-0-5.abc.plex.direct:32400`. */
  serverUrl?: string
  /** Default `https://plex.tv`. */
  plexTvUrl?: string
  /** Where the JWT endpoints live (PIN with a key, key registration, refresh, JWKS). Default `https://clients.plex.tv`. */
  clientsUrl?: string
  /** Default `globalThis.fetch`, looked up at call time. */
  fetch?: PlexFetch
  /** Per attempt, default 10000. */
  timeoutMs?: number
  /**
   * Largest answer read, in bytes; a larger one fails with invalid_response without being read further.
   * Default 65536.
   */
  maxResponseBytes?: number
  /** Default `{ retries: 2 }`; GETs only. */
  retry?: PlexRetryOptions | false
  /** Extra headers on every request (ours win on a clash). */
  headers?: HeadersInit
}

/** Options every call accepts on top of the client options. */
export interface PlexCallOptions {
  signal?: AbortSignal
  headers?: HeadersInit
}

export const DEFAULT_PLEX_TV_URL = 'https://plex.tv'
export const DEFAULT_CLIENTS_URL = 'https://clients.plex.tv'
export const DEFAULT_TIMEOUT_MS = 10_000
export const DEFAULT_MAX_RESPONSE_BYTES = 65_536

/** `value` when it is a positive finite number, else `fallback`. */
export function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback
}

export interface ResolvedRetry {
  retries: number
  minDelayMs: number
  maxDelayMs: number
  maxRetryAfterMs: number
  onRetry?: (info: PlexRetryInfo) => void
}

export function resolveRetry(retry: PlexRetryOptions | false | undefined): ResolvedRetry {
  if (retry === false) return { retries: 0, minDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 }
  return {
    retries: nonNegative(retry?.retries, 2),
    minDelayMs: nonNegative(retry?.minDelayMs, 200),
    maxDelayMs: nonNegative(retry?.maxDelayMs, 2000),
    maxRetryAfterMs: nonNegative(retry?.maxRetryAfterMs, 5000),
    onRetry: retry?.onRetry,
  }
}

function nonNegative(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback
}

/** `options.fetch ?? globalThis.fetch`, at call time, so tests and polyfills installed later are seen. */
export function resolveFetch(options: { fetch?: PlexFetch }): PlexFetch {
  const fetchImpl = options.fetch ?? (globalThis.fetch as PlexFetch | undefined)
  if (typeof fetchImpl !== 'function') throw invalidInput('no fetch: pass options.fetch')
  return fetchImpl
}

export function invalidInput(message: string): PlexError {
  return new PlexError('invalid_input', message)
}

/** A base URL we may send a token to: http(s), no credentials, no query, no fragment; trailing slashes dropped. */
export function resolveBaseUrl(value: string | undefined, name: string): string {
  if (typeof value !== 'string' || value === '') throw invalidInput(`${name} is required`)
  // Parsing a URL costs more than the rest of a call (bench/core-speed.ts) and a client uses one or two
  // base URLs: remember the good ones. Bad ones are not remembered, so their error names the option.
  const known = checkedBaseUrls.get(value)
  if (known !== undefined) return known
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalidInput(`${name} is not a valid URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidInput(`${name} must be http(s)`)
  // A query could carry a token into access logs; credentials would leak through error messages.
  if (url.search || url.hash || url.username || url.password) {
    throw invalidInput(`${name} must not have credentials, a query or a fragment`)
  }
  const base = url.href.replace(/\/+$/, '')
  if (checkedBaseUrls.size >= 64) checkedBaseUrls.clear()
  checkedBaseUrls.set(value, base)
  return base
}

const checkedBaseUrls = new Map<string, string>()

export function requireToken(token: string | undefined): string {
  if (typeof token !== 'string' || token === '') throw invalidInput('a Plex token is required')
  return token
}

/**
 * Whether a token is a Plex JWT (`header.payload.signature`, base64url, the header a JSON object) rather
 * than an opaque legacy or transient token. Reads the header only; verifies nothing.
 */
export function isPlexJwt(token: string): boolean {
  const parts = token.split('.')
  if (parts.length !== 3 || !parts.every((part) => /^[\w-]+$/.test(part))) return false
  try {
    const padded = (parts[0] as string).replaceAll('-', '+').replaceAll('_', '/')
    const header: unknown = JSON.parse(atob(padded.padEnd(Math.ceil(padded.length / 4) * 4, '=')))
    return header !== null && typeof header === 'object' && 'alg' in header
  } catch {
    return false
  }
}

/**
 * The token for a call to a Plex Media Server. Quirk: media servers refuse Plex JWTs with a 401
 * (anthonycaccese/240-MP#240; nickelsh1ts/streamarr#322), and plex.tv's resources list an owned server
 * with the JWT itself as its `accessToken` when asked with one. Refused here, before any request leaves.
 */
export function requireServerToken(token: string | undefined): string {
  const checked = requireToken(token)
  // A header value fetch would trim or refuse: refused here, so no padded JWT slips past the check below.
  if (!/^[\x21-\x7e]+$/.test(checked)) throw invalidInput('a Plex token is printable ASCII without spaces')
  // Legacy and transient tokens have no dot: any token with one is taken for a JWT, whatever its header says.
  if (checked.includes('.') || isPlexJwt(checked)) {
    throw new PlexError(
      'jwt_not_accepted_by_server',
      'Plex Media Servers do not accept Plex JWTs: use a legacy plex.tv token (a PIN or password sign-in without a device key), or a server accessToken that getResources lists for a server shared with the account',
    )
  }
  return checked
}

/** Client options, then call options on top; `undefined` in the call never erases a client default. */
export function mergeOptions<A extends object, B extends object>(base: A, call: B | undefined): A & B {
  const merged = { ...base } as Record<string, unknown>
  if (call) {
    for (const [key, value] of Object.entries(call)) if (value !== undefined) merged[key] = value
    const baseHeaders = (base as { headers?: HeadersInit }).headers
    const callHeaders = (call as { headers?: HeadersInit }).headers
    if (baseHeaders && callHeaders) {
      const headers = new Headers(baseHeaders)
      new Headers(callHeaders).forEach((value, key) => {
        headers.set(key, value)
      })
      merged.headers = headers
    }
  }
  return merged as A & B
}
