/*
 * The worker's environment in one place: the bindings it reads (wrangler.toml, .dev.vars, secrets), and
 * the per-request variables on `c.var`. Type-only, so every module can import it without a cycle.
 */
import type { Config } from './config.ts'
import type { OidcGrants } from './oidc/grants.ts'
import type { PlexClient } from './plex/plex.ts'
import type { SignInGuard } from './plex/sign-in-guard.ts'
import type { Lineage } from './sessions/lineage.ts'
import type { SessionLineage } from './sessions/session-lineage.ts'
import type { LiveSession, PlexDevice, SessionStore } from './sessions/session-store.ts'

/** Bindings and variables the worker reads from `c.env` (wrangler.toml, `.dev.vars`, secrets). */
export interface Bindings {
  /** Sessions, cached transient tokens, PINs and discovered servers (see STORAGE.md). Required. */
  PLEX_AUTH_KV?: KVNamespace
  /** Durable Object binding: each account's sessions, alive or ended (session-lineage.ts). Required. */
  SESSION_LINEAGE?: DurableObjectNamespace<SessionLineage>
  /** Open sessions per account (1 to 1000); a new one past it ends the least recently used. Default 100. */
  MAX_SESSIONS_PER_ACCOUNT?: string
  /** Workers Rate Limiting binding for sign-in, PIN creation and token exchange, per client IP (/64) and login. Optional: absent means no limiting. */
  SIGN_IN_LIMITER?: RateLimit
  /** Durable Object binding: the budget of failed password sign-ins of the whole worker. Optional: absent means no budget. */
  SIGN_IN_GUARD?: DurableObjectNamespace<SignInGuard>
  /** Failed password sign-ins plus attempts in flight the whole worker allows within 60 s (1 to 100). Default 3. */
  SIGN_IN_FAILURE_BUDGET?: string
  /** Rate Limiting binding: 2FA code attempts per login. Optional. */
  VERIFICATION_CODE_LIMITER?: RateLimit
  /** Rate Limiting binding: PIN creations of the whole worker (one key). Optional. */
  PIN_CREATE_LIMITER?: RateLimit
  /** Workers Rate Limiting binding that throttles PIN polling per PIN and per client IP (/64). Optional. */
  PIN_POLL_LIMITER?: RateLimit
  /**
   * Retired: every PIN and every session is now its own Plex device with a random identifier. A value
   * left here is ignored.
   */
  PLEX_CLIENT_IDENTIFIER?: string
  /** X-Plex-Product, the name users see under "Authorized Devices". Default `plex-auth`. */
  PLEX_PRODUCT?: string
  /** Base URL of plex.tv. Default `https://plex.tv`. */
  PLEX_TV_URL?: string
  /** Base URL of Plex's JWT endpoints (PIN with a device key, JWT refresh, JWKS). Default `https://clients.plex.tv`. */
  PLEX_CLIENTS_URL?: string
  /** `jwt` (default): PIN sign-ins hold a Plex JWT and a device key; `legacy`: a legacy token. */
  PLEX_TOKEN_KIND?: string
  /** The keep-alive cron pings or refreshes sessions neither used nor kept alive for this many days. Default 7. */
  KEEP_ALIVE_AFTER_DAYS?: string
  PLEX_ACCESS_SERVERS?: string
  PLEX_ACCESS_ROLES?: string
  PLEX_ACCESS_RECHECK_SECONDS?: string
  PLEX_ACCESS_OWNER_ID?: string
  FORWARD_AUTH_HOSTS?: string
  SESSION_COOKIE_DOMAIN?: string
  /** KV list pages (100 sessions each) the keep-alive cron reads per run (1 to 10). Default 2. */
  KEEP_ALIVE_MAX_PAGES?: string
  /** Sessions the keep-alive cron pings or refreshes per run (1 to 400). Default 40. */
  KEEP_ALIVE_MAX_PER_RUN?: string
  /** Base URL of app.plex.tv's auth page for the PIN flow. Default `https://app.plex.tv/auth`. */
  PLEX_APP_URL?: string
  /** The default Plex Media Server (always allowed). Optional. */
  PLEX_SERVER_URL?: string
  /** Comma-separated origins the worker may also send a token to. */
  ALLOWED_SERVER_URLS?: string
  /** Comma-separated browser origins for CORS (with credentials) and CSRF checks. Default: none. */
  ALLOWED_ORIGINS?: string
  /** 32 random bytes, base64: the AES-GCM key that seals every KV value. Required (secret). */
  TOKEN_ENCRYPTION_KEY?: string
  /** Comma-separated previous keys (base64), accepted for reading only while a rotation completes. */
  TOKEN_ENCRYPTION_KEYS_PREVIOUS?: string
  /** `true` lets the worker call a discovered server over plain http (never after https failed). Default `false`. */
  ALLOW_HTTP_SERVERS?: string
  /** Session lifetime in seconds. Default 30 days. */
  SESSION_TTL_SECONDS?: string
  /** How long a transient token is cached and handed out again, in seconds. Default 1 hour (Plex: at most 48 h). */
  TRANSIENT_TOKEN_TTL_SECONDS?: string
  /** Timeout of each upstream request in milliseconds. Default 10000. */
  UPSTREAM_TIMEOUT_MS?: string
  /** How long an isolate reuses a session it read from KV, in seconds (0 to 60). Default 10; 0 turns it off. */
  SESSION_CACHE_SECONDS?: string
  /** JSON array of the OpenID Connect clients (secret). Unset: the worker is no OIDC provider. */
  OIDC_CLIENTS?: string
  /** JSON array of private RSA JWKs (secret), the first signing ID tokens. Unset: a key generated on first use. */
  OIDC_SIGNING_KEYS?: string
  /** The OIDC issuer (an https origin). Default: the worker's own origin. */
  OIDC_ISSUER?: string
  /** Durable Object binding: codes and grants of each worker session (oidc/grants.ts). Required with OIDC_CLIENTS. */
  OIDC_GRANTS?: DurableObjectNamespace<OidcGrants>
  OIDC_CODE_TTL_SECONDS?: string
  OIDC_ACCESS_TOKEN_TTL_SECONDS?: string
  OIDC_REFRESH_TOKEN_TTL_SECONDS?: string
  /** `true` or `false`: whether `GET /docs` serves the interactive API reference. Default `true`; /openapi.json (a static asset) stays either way. */
  DOCS_ENABLED?: string
}

/** Per-request helpers on `c.var`. */
export interface Variables {
  config: Config
  store: SessionStore
  /** Which sessions of an account are alive: its session lineage (a Durable Object). */
  lineage: Lineage
  /** A core client acting as this Plex device (a new PIN's or sign-in's). */
  plexFor: (device: PlexDevice) => PlexClient
  now: () => number
  /** Set by `requireSession`. */
  session: LiveSession
  /** Set by `requireSession`: the core client acting as the session's own Plex device. */
  plex: PlexClient
  sessionVia: 'bearer' | 'cookie'
  /**
   * Forward-auth: an `Authorization` header that is not one of our bearer tokens belongs to the app behind
   * the proxy (its own Basic or bearer auth), so the session cookie is read instead.
   */
  appAuthorization?: boolean
}

/** The Hono environment of every route and middleware. */
export type AppEnv = { Bindings: Bindings; Variables: Variables }
