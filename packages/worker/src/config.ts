import * as v from 'valibot'
import type { Bindings } from './env.ts'
import { ProblemError } from './http/problem.ts'
import type { OidcGrants } from './oidc/grants.ts'
import { importSigningKeys, type SigningKey } from './oidc/keys.ts'
import { OIDC_DEFAULTS, type OidcClient, oidcClients, oidcIssuer, oidcSigningKeys } from './oidc/settings.ts'
import type { SignInGuard } from './plex/sign-in-guard.ts'
import type { SessionLineage } from './sessions/session-lineage.ts'
import {
  fromBase64,
  importEncryptionKey,
  type Keyring,
  keyring,
  type SealingKey,
} from './sessions/token-crypto.ts'

export const DEFAULTS = {
  product: 'plex-auth',
  plexTvUrl: 'https://plex.tv',
  clientsUrl: 'https://clients.plex.tv',
  tokenKind: 'legacy',
  keepAliveAfterDays: 7,
  keepAliveMaxPages: 2,
  keepAliveMaxPerRun: 40,
  appUrl: 'https://app.plex.tv/auth',
  sessionTtlSeconds: 30 * 24 * 3600,
  transientTokenTtlSeconds: 3600,
  timeoutMs: 10_000,
  sessionCacheSeconds: 10,
  signInFailureBudget: 3,
  accessRoles: ['owner', 'home', 'friend'],
  accessRecheckSeconds: 3600,
  maxSessionsPerAccount: 100,
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

/** A string setting: trimmed; unset and empty are the same. */
const setting = v.pipe(v.optional(v.string(), ''), v.trim())

/** An http(s) base URL without credentials; trailing slashes dropped. */
const baseUrl = (fallback: string) =>
  v.pipe(
    setting,
    v.transform((value) => value || fallback),
    v.check((value) => toHttpOrigin(value) !== undefined),
    v.transform((value) => value.replace(/\/+$/, '')),
  )

/** A comma-separated list: items trimmed, empty ones dropped. */
const commaList = v.pipe(
  setting,
  v.transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  ),
)

/** Comma-separated http(s) origins. */
const originList = v.pipe(
  commaList,
  v.check((items) => items.every((item) => toHttpOrigin(item) !== undefined)),
  v.transform((items) => new Set(items.map((item) => toHttpOrigin(item) as string))),
)

/** The roles a server grants (core's getServerAccess), as PLEX_ACCESS_ROLES names them. */
const ACCESS_ROLES = ['owner', 'home', 'friend'] as const

/** Server clientIdentifiers, as plex.tv's resources list them. */
const serverList = v.pipe(
  commaList,
  v.check((items) => items.every((item) => /^[A-Za-z0-9._-]{1,200}$/.test(item))),
)

/** A DNS name: letters, digits and hyphens in dot-separated labels, at least two labels. */
const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/

/** Hostnames, each exact or `*.` a domain (any host under it), lower case. */
const hostList = v.pipe(
  commaList,
  v.transform((items) => items.map((item) => item.toLowerCase())),
  v.check((items) => items.every((item) => HOSTNAME.test(item.startsWith('*.') ? item.slice(2) : item))),
)

/** A whole number in [min, max]. */
const integer = (fallback: number, min: number, max: number) =>
  v.pipe(
    setting,
    v.transform((value) => (value === '' ? fallback : Number(value))),
    v.number(),
    v.check((value) => Number.isInteger(value) && value >= min && value <= max),
  )

/** `true` or `false`, any case. */
const flag = (fallback: boolean) =>
  v.pipe(
    setting,
    v.toLowerCase(),
    v.transform((value) => (value === '' ? String(fallback) : value)),
    v.picklist(['true', 'false']),
    v.transform((value) => value === 'true'),
  )

/** A 32-byte key, base64 or base64url (imported after validation: WebCrypto is async). */
const isKey = (value: string): boolean => fromBase64(value)?.length === 32

/** A Rate Limiting binding, or undefined when absent (no limiting). */
const limiter = v.optional(
  v.pipe(
    v.unknown(),
    v.transform((binding) =>
      typeof (binding as RateLimit | undefined)?.limit === 'function' ? (binding as RateLimit) : undefined,
    ),
  ),
)

/** A Durable Object namespace binding, or undefined when absent (what needs it is then off). */
const durableObject = <T extends Rpc.DurableObjectBranded | undefined>() =>
  v.optional(
    v.pipe(
      v.unknown(),
      v.transform((binding) => {
        const namespace = binding as DurableObjectNamespace<T> | undefined
        return typeof namespace?.idFromName === 'function' && typeof namespace.get === 'function'
          ? namespace
          : undefined
      }),
    ),
  )

/** SignInGuard's namespace; absent: no worker-wide budget of failed sign-ins. */
const signInGuard = durableObject<SignInGuard>()

/** OidcGrants' namespace; absent: no OIDC. */
const oidcGrants = durableObject<OidcGrants>()

/**
 * The worker's environment, validated: one schema, one entry per setting. The README's configuration
 * table lists every key (test/readme.test.ts checks it).
 */
export const ConfigSchema = v.object({
  PLEX_AUTH_KV: v.pipe(
    v.unknown(),
    v.check((value) => typeof (value as KVNamespace | undefined)?.get === 'function'),
    v.transform((value) => value as KVNamespace),
  ),
  // Required: without it no session could be told consumed or ended everywhere (session-lineage.ts).
  SESSION_LINEAGE: v.pipe(
    v.unknown(),
    v.check((value) => {
      const namespace = value as DurableObjectNamespace | undefined
      return typeof namespace?.idFromName === 'function' && typeof namespace.get === 'function'
    }),
    v.transform((value) => value as DurableObjectNamespace<SessionLineage>),
  ),
  MAX_SESSIONS_PER_ACCOUNT: integer(DEFAULTS.maxSessionsPerAccount, 1, 1000),
  TOKEN_ENCRYPTION_KEY: v.pipe(v.string(), v.trim(), v.nonEmpty(), v.check(isKey)),
  TOKEN_ENCRYPTION_KEYS_PREVIOUS: v.pipe(
    commaList,
    v.check((items) => items.every(isKey)),
  ),
  PLEX_PRODUCT: v.pipe(
    setting,
    v.transform((value) => value || DEFAULTS.product),
  ),
  PLEX_TV_URL: baseUrl(DEFAULTS.plexTvUrl),
  PLEX_APP_URL: baseUrl(DEFAULTS.appUrl),
  PLEX_CLIENTS_URL: baseUrl(DEFAULTS.clientsUrl),
  PLEX_TOKEN_KIND: v.pipe(
    setting,
    v.toLowerCase(),
    v.transform((value) => value || DEFAULTS.tokenKind),
    v.picklist(['jwt', 'legacy']),
  ),
  KEEP_ALIVE_AFTER_DAYS: integer(DEFAULTS.keepAliveAfterDays, 1, 365),
  KEEP_ALIVE_MAX_PAGES: integer(DEFAULTS.keepAliveMaxPages, 1, 10),
  KEEP_ALIVE_MAX_PER_RUN: integer(DEFAULTS.keepAliveMaxPerRun, 1, 400),
  PLEX_SERVER_URL: v.pipe(
    setting,
    v.check((value) => value === '' || toHttpOrigin(value) !== undefined),
    v.transform((value) => (value === '' ? undefined : toHttpOrigin(value))),
  ),
  ALLOWED_SERVER_URLS: originList,
  ALLOWED_ORIGINS: originList,
  ALLOW_HTTP_SERVERS: flag(false),
  DOCS_ENABLED: flag(true),
  SESSION_TTL_SECONDS: integer(DEFAULTS.sessionTtlSeconds, 300, 365 * 24 * 3600),
  TRANSIENT_TOKEN_TTL_SECONDS: integer(DEFAULTS.transientTokenTtlSeconds, 60, 24 * 3600),
  UPSTREAM_TIMEOUT_MS: integer(DEFAULTS.timeoutMs, 1, 60_000),
  SESSION_CACHE_SECONDS: integer(DEFAULTS.sessionCacheSeconds, 0, 60),
  SIGN_IN_FAILURE_BUDGET: integer(DEFAULTS.signInFailureBudget, 1, 100),
  PLEX_ACCESS_SERVERS: serverList,
  PLEX_ACCESS_ROLES: v.pipe(
    commaList,
    v.transform((items) => items.map((item) => item.toLowerCase())),
    v.check((items) => items.every((item) => (ACCESS_ROLES as readonly string[]).includes(item))),
    v.transform((items) =>
      items.length === 0 ? [...DEFAULTS.accessRoles] : (items as (typeof ACCESS_ROLES)[number][]),
    ),
  ),
  PLEX_ACCESS_RECHECK_SECONDS: integer(DEFAULTS.accessRecheckSeconds, 1, 30 * 24 * 3600),
  PLEX_ACCESS_OWNER_ID: v.pipe(
    setting,
    v.check((value) => value === '' || /^[1-9][0-9]{0,15}$/.test(value)),
    v.transform((value) => (value === '' ? undefined : Number(value))),
  ),
  FORWARD_AUTH_HOSTS: hostList,
  SESSION_COOKIE_DOMAIN: v.pipe(
    setting,
    v.toLowerCase(),
    v.transform((value) => value.replace(/^\./, '')),
    v.check((value) => value === '' || HOSTNAME.test(value)),
    v.transform((value) => value || undefined),
  ),
  SIGN_IN_GUARD: signInGuard,
  OIDC_CLIENTS: oidcClients,
  OIDC_SIGNING_KEYS: oidcSigningKeys,
  OIDC_ISSUER: oidcIssuer,
  OIDC_GRANTS: oidcGrants,
  OIDC_CODE_TTL_SECONDS: integer(OIDC_DEFAULTS.codeTtlSeconds, 10, 600),
  OIDC_ACCESS_TOKEN_TTL_SECONDS: integer(OIDC_DEFAULTS.accessTokenTtlSeconds, 60, 24 * 3600),
  OIDC_REFRESH_TOKEN_TTL_SECONDS: integer(OIDC_DEFAULTS.refreshTokenTtlSeconds, 300, 365 * 24 * 3600),
  SIGN_IN_LIMITER: limiter,
  VERIFICATION_CODE_LIMITER: limiter,
  PIN_CREATE_LIMITER: limiter,
  PIN_POLL_LIMITER: limiter,
})

/** What each invalid setting must be, where the name alone does not say it. */
const EXPECTED: Partial<Record<keyof typeof ConfigSchema.entries, string>> = {
  TOKEN_ENCRYPTION_KEY: 'must be 32 bytes, base64',
  TOKEN_ENCRYPTION_KEYS_PREVIOUS: 'each must be 32 bytes, base64',
  PLEX_ACCESS_SERVERS: 'comma-separated server clientIdentifiers',
  PLEX_ACCESS_ROLES: 'comma-separated, from owner, home, friend; needs PLEX_ACCESS_SERVERS',
  PLEX_ACCESS_OWNER_ID:
    "the numeric Plex account id of the servers' owner (GET /v1/user id); needs PLEX_ACCESS_SERVERS",
  FORWARD_AUTH_HOSTS: 'comma-separated hostnames, or *.domain',
  SESSION_COOKIE_DOMAIN: 'a domain name such as example.com',
  OIDC_CLIENTS:
    'a JSON array of {client_id, client_secret (32+ characters)?, redirect_uris, post_logout_redirect_uris?, name?} with distinct ids',
  OIDC_SIGNING_KEYS: 'a JSON array of private RSA JWKs',
  OIDC_ISSUER: 'an https origin without a path',
}

type Settings = v.InferOutput<typeof ConfigSchema>

/** The validated configuration of one request (inferred from ConfigSchema). */
export type Config = {
  kv: KVNamespace
  keyring: Keyring
  /** One Durable Object per account: which sessions are alive (session-lineage.ts). */
  sessionLineage: Settings['SESSION_LINEAGE']
  /** Open sessions an account keeps; a new one past it ends the least recently used. */
  maxSessionsPerAccount: Settings['MAX_SESSIONS_PER_ACCOUNT']
  signInLimiter: Settings['SIGN_IN_LIMITER']
  /** The worker-wide budget of failed password sign-ins (a Durable Object), if bound. */
  signInGuard: Settings['SIGN_IN_GUARD']
  /** Failed password sign-ins plus attempts in flight allowed within 60 s, worker-wide. */
  signInFailureBudget: Settings['SIGN_IN_FAILURE_BUDGET']
  verificationCodeLimiter: Settings['VERIFICATION_CODE_LIMITER']
  pinCreateLimiter: Settings['PIN_CREATE_LIMITER']
  pinPollLimiter: Settings['PIN_POLL_LIMITER']
  product: Settings['PLEX_PRODUCT']
  plexTvUrl: Settings['PLEX_TV_URL']
  appUrl: Settings['PLEX_APP_URL']
  /** Where Plex's JWT endpoints live (PIN with a key, refresh, JWKS). */
  clientsUrl: Settings['PLEX_CLIENTS_URL']
  /** What a PIN sign-in gets: a Plex JWT with a device key sealed in the session, or a legacy token. */
  tokenKind: Settings['PLEX_TOKEN_KIND']
  /** The cron keeps alive sessions neither used nor kept alive for this many days. */
  keepAliveAfterDays: Settings['KEEP_ALIVE_AFTER_DAYS']
  /** KV list pages (of 100 sessions) the cron reads per run. */
  keepAliveMaxPages: Settings['KEEP_ALIVE_MAX_PAGES']
  /** Sessions the cron pings or refreshes per run (each: 1 or 2 plex.tv calls and 1 KV write). */
  keepAliveMaxPerRun: Settings['KEEP_ALIVE_MAX_PER_RUN']
  /** Normalised origin of PLEX_SERVER_URL, if set. */
  serverUrl: Settings['PLEX_SERVER_URL']
  /** Origins a token may be sent to besides plex.tv (PLEX_SERVER_URL + ALLOWED_SERVER_URLS). */
  allowedServerOrigins: ReadonlySet<string>
  allowedOrigins: ReadonlySet<string>
  allowHttpServers: Settings['ALLOW_HTTP_SERVERS']
  /** Whether `GET /docs` is served. */
  docsEnabled: Settings['DOCS_ENABLED']
  sessionTtlSeconds: Settings['SESSION_TTL_SECONDS']
  transientTokenTtlSeconds: Settings['TRANSIENT_TOKEN_TTL_SECONDS']
  timeoutMs: Settings['UPSTREAM_TIMEOUT_MS']
  sessionCacheSeconds: Settings['SESSION_CACHE_SECONDS']
  /**
   * Who may sign in: users with one of `roles` on one of `servers` (PLEX_ACCESS_SERVERS,
   * PLEX_ACCESS_ROLES), checked again every `recheckSeconds` on use. Undefined: anyone with a Plex account.
   */
  /** Hosts a forward-auth sign-in may return to (exact, or `*.domain`). */
  forwardAuthHosts: readonly string[]
  /** Set: the session cookie is `__Secure-plex_session` for this domain, so sibling hosts send it. */
  sessionCookieDomain: Settings['SESSION_COOKIE_DOMAIN']
  /** The OpenID Connect provider (src/oidc/): undefined while OIDC_CLIENTS is unset. */
  oidc?: OidcConfig
  access?: {
    servers: readonly string[]
    /** The servers' owner: a server counts only under this account (its clientIdentifier is public). */
    ownerId: number
    roles: ReadonlySet<Settings['PLEX_ACCESS_ROLES'][number]>
    recheckSeconds: Settings['PLEX_ACCESS_RECHECK_SECONDS']
  }
}

/** The OpenID Connect provider's settings (src/oidc/). */
export interface OidcConfig {
  /** OIDC_ISSUER; undefined: the origin of the request. */
  issuer: string | undefined
  clients: ReadonlyMap<string, OidcClient>
  /** OIDC_SIGNING_KEYS imported, the first signing; empty: a generated key (oidc/keys.ts). */
  signingKeys: readonly SigningKey[]
  grants: DurableObjectNamespace<OidcGrants>
  codeTtlSeconds: number
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
}

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
 * Reads and validates the bindings of one request with ConfigSchema, then imports the keys (memoised
 * per key string). Throws a 500 `misconfigured` problem naming (never showing) every setting that is
 * missing or invalid.
 */
export async function loadConfig(env: Bindings | undefined): Promise<Config> {
  const result = v.safeParse(ConfigSchema, env ?? {})
  if (!result.success) {
    const missing = new Set<string>()
    const bad = new Set<string>()
    for (const issue of result.issues) {
      const name = String(issue.path?.[0]?.key ?? '')
      const input = (env as Record<string, unknown> | undefined)?.[name]
      if (input === undefined || (typeof input === 'string' && input.trim() === '')) missing.add(name)
      else {
        const expected = EXPECTED[name as keyof typeof EXPECTED]
        bad.add(expected ? `${name} (${expected})` : name)
      }
    }
    const parts: string[] = []
    if (missing.size) parts.push(`missing ${[...missing].join(', ')}`)
    if (bad.size) parts.push(`invalid ${[...bad].join(', ')}`)
    throw new ProblemError('misconfigured', `The worker is misconfigured: ${parts.join('; ')}.`)
  }
  const s = result.output
  // The access policy's settings go together: roles or an owner without servers would silently let anyone
  // in, and servers without their owner would admit anyone running a server under the same public id.
  const given = (name: string): boolean => {
    const value = (env as Record<string, unknown> | undefined)?.[name]
    return typeof value === 'string' && value.trim() !== ''
  }
  if (s.PLEX_ACCESS_SERVERS.length > 0 && s.PLEX_ACCESS_OWNER_ID === undefined)
    throw new ProblemError(
      'misconfigured',
      'The worker is misconfigured: missing PLEX_ACCESS_OWNER_ID (PLEX_ACCESS_SERVERS needs it).',
    )
  for (const name of ['PLEX_ACCESS_ROLES', 'PLEX_ACCESS_OWNER_ID'])
    if (given(name) && s.PLEX_ACCESS_SERVERS.length === 0)
      throw new ProblemError(
        'misconfigured',
        `The worker is misconfigured: ${name} needs PLEX_ACCESS_SERVERS.`,
      )
  const current = (await importEncryptionKey(s.TOKEN_ENCRYPTION_KEY)) as SealingKey
  const previous = await Promise.all(
    s.TOKEN_ENCRYPTION_KEYS_PREVIOUS.map(async (key) => (await importEncryptionKey(key)) as SealingKey),
  )
  const oidc = await oidcConfigOf(s)
  const allowedServerOrigins = new Set(s.ALLOWED_SERVER_URLS)
  if (s.PLEX_SERVER_URL) allowedServerOrigins.add(s.PLEX_SERVER_URL)
  return {
    kv: s.PLEX_AUTH_KV,
    keyring: keyring(current, previous),
    sessionLineage: s.SESSION_LINEAGE,
    maxSessionsPerAccount: s.MAX_SESSIONS_PER_ACCOUNT,
    signInLimiter: s.SIGN_IN_LIMITER,
    signInGuard: s.SIGN_IN_GUARD,
    signInFailureBudget: s.SIGN_IN_FAILURE_BUDGET,
    verificationCodeLimiter: s.VERIFICATION_CODE_LIMITER,
    pinCreateLimiter: s.PIN_CREATE_LIMITER,
    pinPollLimiter: s.PIN_POLL_LIMITER,
    product: s.PLEX_PRODUCT,
    plexTvUrl: s.PLEX_TV_URL,
    appUrl: s.PLEX_APP_URL,
    clientsUrl: s.PLEX_CLIENTS_URL,
    tokenKind: s.PLEX_TOKEN_KIND,
    keepAliveAfterDays: s.KEEP_ALIVE_AFTER_DAYS,
    keepAliveMaxPages: s.KEEP_ALIVE_MAX_PAGES,
    keepAliveMaxPerRun: s.KEEP_ALIVE_MAX_PER_RUN,
    serverUrl: s.PLEX_SERVER_URL,
    allowedServerOrigins,
    allowedOrigins: s.ALLOWED_ORIGINS,
    allowHttpServers: s.ALLOW_HTTP_SERVERS,
    docsEnabled: s.DOCS_ENABLED,
    sessionTtlSeconds: s.SESSION_TTL_SECONDS,
    transientTokenTtlSeconds: s.TRANSIENT_TOKEN_TTL_SECONDS,
    timeoutMs: s.UPSTREAM_TIMEOUT_MS,
    sessionCacheSeconds: s.SESSION_CACHE_SECONDS,
    forwardAuthHosts: s.FORWARD_AUTH_HOSTS,
    sessionCookieDomain: s.SESSION_COOKIE_DOMAIN,
    ...(oidc ? { oidc } : {}),
    ...(s.PLEX_ACCESS_SERVERS.length > 0
      ? {
          access: {
            servers: s.PLEX_ACCESS_SERVERS,
            ownerId: s.PLEX_ACCESS_OWNER_ID as number,
            roles: new Set(s.PLEX_ACCESS_ROLES),
            recheckSeconds: s.PLEX_ACCESS_RECHECK_SECONDS,
          },
        }
      : {}),
  }
}

/** The OIDC part of the configuration: none without clients; clients without OIDC_GRANTS is misconfigured. */
async function oidcConfigOf(s: Settings): Promise<OidcConfig | undefined> {
  if (s.OIDC_CLIENTS.size === 0) return undefined
  if (!s.OIDC_GRANTS)
    throw new ProblemError(
      'misconfigured',
      'The worker is misconfigured: OIDC_CLIENTS needs the OIDC_GRANTS binding.',
    )
  return {
    issuer: s.OIDC_ISSUER,
    clients: s.OIDC_CLIENTS,
    signingKeys: await importSigningKeys(s.OIDC_SIGNING_KEYS),
    grants: s.OIDC_GRANTS,
    codeTtlSeconds: s.OIDC_CODE_TTL_SECONDS,
    accessTokenTtlSeconds: s.OIDC_ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: s.OIDC_REFRESH_TOKEN_TTL_SECONDS,
  }
}
