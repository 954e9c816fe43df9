import type { Bindings } from './env.ts'
import { ProblemError } from './problem.ts'
import { importEncryptionKey, type Keyring, keyring, type SealingKey } from './token-crypto.ts'

/** The validated configuration of one request. */
export interface Config {
  kv: KVNamespace
  signInLimiter: RateLimit | undefined
  pinPollLimiter: RateLimit | undefined
  signInFailureLimiter: RateLimit | undefined
  verificationCodeLimiter: RateLimit | undefined
  pinCreateLimiter: RateLimit | undefined
  product: string
  plexTvUrl: string
  appUrl: string
  /** Normalised origin of PLEX_SERVER_URL, if set. */
  serverUrl: string | undefined
  /** Origins a token may be sent to besides plex.tv (PLEX_SERVER_URL + ALLOWED_SERVER_URLS). */
  allowedServerOrigins: ReadonlySet<string>
  allowedOrigins: ReadonlySet<string>
  keyring: Keyring
  allowHttpServers: boolean
  sessionTtlSeconds: number
  transientTokenTtlSeconds: number
  timeoutMs: number
  sessionCacheSeconds: number
  /** Whether `GET /docs` is served (DOCS_ENABLED). */
  docsEnabled: boolean
}

export const DEFAULTS = {
  product: 'plex-auth',
  plexTvUrl: 'https://plex.tv',
  appUrl: 'https://app.plex.tv/auth',
  sessionTtlSeconds: 30 * 24 * 3600,
  transientTokenTtlSeconds: 3600,
  timeoutMs: 10_000,
  sessionCacheSeconds: 10,
} as const

/** Parses an http(s) URL and returns its origin, or undefined when it is not one. */
export function toHttpOrigin(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  return httpOriginOf(url)
}

/** The origin of a parsed URL when it is http(s) and carries no credentials. */
export function httpOriginOf(url: URL): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  if (url.username || url.password) return undefined
  return url.origin
}

function parseOriginList(value: string | undefined, name: string, bad: string[]): Set<string> {
  const out = new Set<string>()
  for (const part of (value ?? '').split(',')) {
    const item = part.trim()
    if (!item) continue
    const origin = toHttpOrigin(item)
    if (origin) out.add(origin)
    else if (!bad.includes(name)) bad.push(name)
  }
  return out
}

function parseBaseUrl(value: string | undefined, fallback: string, name: string, bad: string[]): string {
  const raw = value?.trim() || fallback
  if (!toHttpOrigin(raw)) {
    bad.push(name)
    return fallback
  }
  return raw.replace(/\/+$/, '')
}

function parseSeconds(
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
  name: string,
  bad: string[],
) {
  if (value === undefined || value.trim() === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) {
    bad.push(name)
    return fallback
  }
  return n
}

/** `true` or `false` (any case); anything else is named as invalid. */
function parseBoolean(value: string | undefined, fallback: boolean, name: string, bad: string[]): boolean {
  const text = value?.trim().toLowerCase()
  if (text === undefined || text === '') return fallback
  if (text === 'true' || text === 'false') return text === 'true'
  bad.push(name)
  return fallback
}

/** A Rate Limiting binding, or undefined when absent (no limiting). */
const limiterOf = (binding: RateLimit | undefined): RateLimit | undefined =>
  typeof binding?.limit === 'function' ? binding : undefined

const configs = new WeakMap<object, Promise<Config>>()

/**
 * The configuration of these bindings, worked out once per bindings object: workerd hands the requests
 * of an isolate the same `env`, so the URL and list parsing stays off the per-request path.
 */
export function configFor(env: Bindings | undefined): Promise<Config> {
  if (!env) return loadConfig(env)
  let config = configs.get(env)
  if (!config) {
    config = loadConfig(env)
    configs.set(env, config)
  }
  return config
}

/**
 * Reads and validates the bindings of one request. Cheap: the only work beyond string parsing is
 * importing the AES key, which is memoised per key string.
 * Throws a 500 `misconfigured` problem naming (never showing) what is missing or invalid.
 */
export async function loadConfig(env: Bindings | undefined): Promise<Config> {
  const e: Bindings = env ?? {}
  const missing: string[] = []
  const bad: string[] = []
  const kv = e.PLEX_AUTH_KV
  if (!kv || typeof kv.get !== 'function') missing.push('PLEX_AUTH_KV')
  const plexTvUrl = parseBaseUrl(e.PLEX_TV_URL, DEFAULTS.plexTvUrl, 'PLEX_TV_URL', bad)
  const appUrl = parseBaseUrl(e.PLEX_APP_URL, DEFAULTS.appUrl, 'PLEX_APP_URL', bad)
  let serverUrl: string | undefined
  if (e.PLEX_SERVER_URL?.trim()) {
    serverUrl = toHttpOrigin(e.PLEX_SERVER_URL.trim())
    if (!serverUrl) bad.push('PLEX_SERVER_URL')
  }
  const allowedServerOrigins = parseOriginList(e.ALLOWED_SERVER_URLS, 'ALLOWED_SERVER_URLS', bad)
  if (serverUrl) allowedServerOrigins.add(serverUrl)
  const allowedOrigins = parseOriginList(e.ALLOWED_ORIGINS, 'ALLOWED_ORIGINS', bad)
  const sessionTtlSeconds = parseSeconds(
    e.SESSION_TTL_SECONDS,
    DEFAULTS.sessionTtlSeconds,
    300,
    365 * 24 * 3600,
    'SESSION_TTL_SECONDS',
    bad,
  )
  const transientTokenTtlSeconds = parseSeconds(
    e.TRANSIENT_TOKEN_TTL_SECONDS,
    DEFAULTS.transientTokenTtlSeconds,
    60,
    24 * 3600,
    'TRANSIENT_TOKEN_TTL_SECONDS',
    bad,
  )
  const timeoutMs = parseSeconds(
    e.UPSTREAM_TIMEOUT_MS,
    DEFAULTS.timeoutMs,
    1,
    60_000,
    'UPSTREAM_TIMEOUT_MS',
    bad,
  )
  const sessionCacheSeconds = parseSeconds(
    e.SESSION_CACHE_SECONDS,
    DEFAULTS.sessionCacheSeconds,
    0,
    60,
    'SESSION_CACHE_SECONDS',
    bad,
  )
  const docsEnabled = parseBoolean(e.DOCS_ENABLED, true, 'DOCS_ENABLED', bad)
  let currentKey: SealingKey | undefined
  if (!e.TOKEN_ENCRYPTION_KEY?.trim()) missing.push('TOKEN_ENCRYPTION_KEY')
  else {
    currentKey = await importEncryptionKey(e.TOKEN_ENCRYPTION_KEY.trim())
    if (!currentKey) bad.push('TOKEN_ENCRYPTION_KEY (must be 32 bytes, base64)')
  }
  const previousKeys: SealingKey[] = []
  for (const part of (e.TOKEN_ENCRYPTION_KEYS_PREVIOUS ?? '').split(',')) {
    if (!part.trim()) continue
    const previous = await importEncryptionKey(part.trim())
    if (previous) previousKeys.push(previous)
    else if (!bad.some((name) => name.startsWith('TOKEN_ENCRYPTION_KEYS_PREVIOUS')))
      bad.push('TOKEN_ENCRYPTION_KEYS_PREVIOUS (each must be 32 bytes, base64)')
  }
  const allowHttpServers = parseBoolean(e.ALLOW_HTTP_SERVERS, false, 'ALLOW_HTTP_SERVERS', bad)
  if (missing.length || bad.length || !kv || !currentKey) {
    const parts: string[] = []
    if (missing.length) parts.push(`missing ${missing.join(', ')}`)
    if (bad.length) parts.push(`invalid ${bad.join(', ')}`)
    throw new ProblemError(500, 'misconfigured', `The worker is misconfigured: ${parts.join('; ')}.`)
  }
  return {
    kv,
    signInLimiter: limiterOf(e.SIGN_IN_LIMITER),
    pinPollLimiter: limiterOf(e.PIN_POLL_LIMITER),
    signInFailureLimiter: limiterOf(e.SIGN_IN_FAILURE_LIMITER),
    verificationCodeLimiter: limiterOf(e.VERIFICATION_CODE_LIMITER),
    pinCreateLimiter: limiterOf(e.PIN_CREATE_LIMITER),
    product: e.PLEX_PRODUCT?.trim() || DEFAULTS.product,
    plexTvUrl,
    appUrl,
    serverUrl,
    allowedServerOrigins,
    allowedOrigins,
    keyring: keyring(currentKey, previousKeys),
    allowHttpServers,
    sessionTtlSeconds,
    transientTokenTtlSeconds,
    timeoutMs,
    sessionCacheSeconds,
    docsEnabled,
  }
}
