import { isPlexError } from '@plex-auth/core'
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppEnv } from './env.ts'
import { keepAliveOnUse, settleKeepAlive } from './keep-alive.ts'
import { ProblemError } from './problem.ts'
import { changesState, checkOrigin } from './security.ts'
import type { HomeLink, JwtCredentials, PlexDevice, Session, SessionSource } from './session-store.ts'

/** `__Host-`: the browser only accepts it Secure, on Path=/ and without Domain, so no subdomain can plant it. */
export const SESSION_COOKIE = '__Host-plex_session'

/** The Set-Cookie value of a new session. */
export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; Secure; SameSite=Lax`
}

/** The Set-Cookie value that removes the session cookie. */
export const clearedSessionCookie = `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`

/**
 * Authenticates the request by `Authorization: Bearer <token>` or by the session cookie, and puts the
 * session on `c.var.session`. Cookie-authenticated requests that change state need an allowed Origin.
 * Then keeps the session alive when that is due (keep-alive.ts): a legacy token is pinged at most once a
 * day, a Plex JWT renewed once less than a day of it remains, after the answer (`waitUntil`).
 */
export const requireSession: MiddlewareHandler<AppEnv> = async (c, next) => {
  await authenticate(c)
  const { session, store, plexFor, now } = c.var
  const kept = await keepAliveOnUse({ store, plexFor, now }, session, waitUntilOf(c))
  if (kept === 'ended') throw sessionEnded(c)
  if (kept !== session) {
    c.set('session', kept)
    c.set('plex', plexFor(kept))
  }
  await next()
}

/**
 * `requireSession` without the keep-alive, for the routes that end the session: pinging or renewing a
 * token about to be revoked, and writing the state of a session about to be deleted, is work for nothing.
 */
export const requireSessionToEnd: MiddlewareHandler<AppEnv> = async (c, next) => {
  await authenticate(c)
  await next()
}

/**
 * The request's `waitUntil`, or undefined where there is no execution context (app.request in tests):
 * Hono's `c.executionCtx` getter throws then.
 */
export function waitUntilOf(c: Context<AppEnv>): ((promise: Promise<unknown>) => void) | undefined {
  try {
    const context = c.executionCtx
    return (promise) => context.waitUntil(promise)
  } catch {
    return undefined
  }
}

async function authenticate(c: Context<AppEnv>): Promise<void> {
  const authorization = c.req.header('Authorization')
  let token: string | undefined
  let via: 'bearer' | 'cookie' = 'bearer'
  if (authorization !== undefined) {
    token = /^Bearer +([A-Za-z0-9_-]+) *$/i.exec(authorization)?.[1]
    if (!token) throw unauthenticated('bearer', 'Send the session as `Authorization: Bearer <token>`.')
  } else {
    token = getCookie(c, SESSION_COOKIE)
    via = 'cookie'
    if (!token) throw unauthenticated('bearer', 'Sign in first: no session was presented.')
    // Login CSRF and CSRF: a cookie travels with cross-site requests, so its origin must be ours.
    if (changesState(c.req.method)) checkOrigin(c, true)
  }
  const session = await c.var.store.getSession(token)
  if (!session) throw unauthenticated(via, 'The session is unknown or expired; sign in again.')
  c.set('session', session)
  c.set('sessionVia', via)
  c.set('plex', c.var.plexFor(session))
}

function unauthenticated(via: 'bearer' | 'cookie', detail: string): ProblemError {
  return new ProblemError('unauthenticated', detail, {
    headers: via === 'cookie' ? { 'Set-Cookie': clearedSessionCookie } : {},
  })
}

/**
 * The account fields frontends get: those Plex documents for UserPlexAccount (the core's `PlexUser`),
 * less the secret-carrying ones. An allowlist: a field plex.tv adds tomorrow (perhaps another token)
 * does not reach page scripts until it is looked at and listed here.
 */
const PUBLIC_USER_FIELDS = new Set([
  'id',
  'uuid',
  'username',
  'title',
  'email',
  'friendlyName',
  'thumb',
  'locale',
  'confirmed',
  'emailOnlyAuth',
  'hasPassword',
  'protected',
  'country',
  'joinedAt',
  'twoFactorEnabled',
  'mailingListStatus',
  'mailingListActive',
  'scrobbleTypes',
  'subscription',
  'subscriptions',
  'subscriptionDescription',
  'restricted',
  'anonymous',
  'home',
  'guest',
  'homeSize',
  'homeAdmin',
  'maxHomeSize',
  'rememberExpiresAt',
  'profile',
  'entitlements',
  'roles',
  'experimentalFeatures',
  'backupCodesCreated',
  'attributionPartner',
])
/** `services` entries carry a `token` and a `secret`: only these fields of each are passed on. */
const PUBLIC_SERVICE_FIELDS = ['identifier', 'endpoint', 'status'] as const

/** The account as frontends see it: documented, non-secret fields only (never `authToken`). */
export function publicUser(user: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(user)) {
    if (PUBLIC_USER_FIELDS.has(name)) out[name] = value
    else if (name === 'services' && Array.isArray(value)) {
      out[name] = value
        .filter(
          (service: unknown): service is Record<string, unknown> => !!service && typeof service === 'object',
        )
        .map((service) =>
          Object.fromEntries(
            PUBLIC_SERVICE_FIELDS.filter((key) => key in service).map((key) => [key, service[key]]),
          ),
        )
    }
  }
  return out
}

/** The request header a client sends to receive its session token in the body instead of a cookie. */
const SESSION_MODE_HEADER = 'X-Session-Mode'

/** How the client asked to hold its session: `bearer` (token in the body) or `cookie` (the default). */
export type SessionMode = 'bearer' | 'cookie'

/**
 * Reads `X-Session-Mode` before anything happens, so a bad value costs the client nothing (no PIN is
 * claimed, no sign-in is spent).
 */
export function sessionModeOf(c: Context<AppEnv>): SessionMode {
  const value = c.req.header(SESSION_MODE_HEADER)?.trim().toLowerCase()
  if (value === undefined || value === '' || value === 'cookie') return 'cookie'
  if (value === 'bearer') return 'bearer'
  throw new ProblemError('invalid_request', 'The request is invalid.', {
    issues: [{ path: SESSION_MODE_HEADER, message: 'Invalid header: expected "bearer" or "cookie"' }],
  })
}

/**
 * Creates a session for a Plex token, acting as `device`, and answers with it. By default the token
 * goes only into the HttpOnly cookie, where no page script can read it; with `X-Session-Mode: bearer`
 * it goes only into the body (`session.token`), for clients that send `Authorization: Bearer`.
 */
export async function startSession(
  c: Context<AppEnv>,
  input: {
    plexToken: string
    source: SessionSource
    device: PlexDevice
    user: object
    mode: SessionMode
    status?: 200 | 201
    extra?: object
    /** The device key and expiry when `plexToken` is a Plex JWT. */
    jwt?: JwtCredentials
    /** Whose sessions index lists the session. Default: `home.adminUuid` after a Home switch, else `user.uuid`. */
    accountUuid?: string
    /** A Plex Home switch: the token switched from, sealed with the session. */
    home?: HomeLink
  },
): Promise<Response> {
  const { config, store, now } = c.var
  const { token, session } = await store.createSession({
    plexToken: input.plexToken,
    source: input.source,
    ttlSeconds: config.sessionTtlSeconds,
    clientIdentifier: input.device.clientIdentifier,
    deviceName: input.device.deviceName,
    ...(input.jwt ? { jwt: input.jwt } : {}),
    ...accountOf(input),
    ...(input.home ? { home: input.home } : {}),
  })
  const expiresAt = new Date(session.expiresAt).toISOString()
  if (input.mode === 'cookie')
    c.header('Set-Cookie', sessionCookie(token, Math.floor((session.expiresAt - now()) / 1000)))
  return c.json(
    {
      ...input.extra,
      session: input.mode === 'bearer' ? { token, expiresAt } : { expiresAt },
      user: publicUser(input.user),
    },
    input.status ?? 201,
  )
}

/** The account whose sessions index lists a new session. */
function accountOf(input: { accountUuid?: string; user: object; home?: HomeLink }): { accountUuid?: string } {
  // A session switched to a Home user holds the token of the account it came from: it is that account's
  // (listed with it, ended by its sign-out everywhere).
  const uuid = input.accountUuid ?? input.home?.adminUuid ?? (input.user as { uuid?: unknown }).uuid
  return typeof uuid === 'string' && uuid !== '' ? { accountUuid: uuid } : {}
}

/** Plex no longer accepts the session's token: the session is deleted and the client must sign in again. */
export async function rejectSession(c: Context<AppEnv>): Promise<never> {
  await c.var.store.deleteSession(c.var.session)
  throw sessionEnded(c)
}

/**
 * Awaits a plex.tv call made with a token the session holds: when plex.tv no longer accepts it
 * (`unauthorized`, which the core also reports for a revoked token's 422), the session ends (rejectSession).
 * Any other error is thrown as it is.
 * @example const account = await orRejectSession(c, plex.getTokenDetails({ token: session.plexToken }))
 */
export async function orRejectSession<T>(c: Context<AppEnv>, call: Promise<T>): Promise<T> {
  try {
    return await call
  } catch (error) {
    if (isPlexError(error, 'unauthorized')) await rejectSession(c)
    throw error
  }
}

function sessionEnded(c: Context<AppEnv>): ProblemError {
  return new ProblemError('plex_token_rejected', 'Plex no longer accepts this session; sign in again.', {
    headers: c.var.sessionVia === 'cookie' ? { 'Set-Cookie': clearedSessionCookie } : {},
  })
}

/**
 * Ends a session (the request's own or another of the same account): revokes at plex.tv, as the
 * session's own device, a token the worker obtained itself (password, PIN; best effort), so that device
 * leaves the user's "Authorized Devices", then deletes the session, its cached tokens and its index entry.
 * A token the frontend brought (`POST /v1/sessions`) is left alone: it is not ours to end.
 */
export async function endSession(c: Context<AppEnv>, session: Session): Promise<void> {
  // A keep-alive of this session running in this isolate may have read it before the deletion: let it
  // finish, or its `state:` write would land after the deletion, a dead key left until it expires.
  await settleKeepAlive(session.hash)
  // The tokens the worker obtained: the session's own (unless the frontend brought it), a Home user's
  // (always the worker's, from the switch), and the admin's a switched session carries.
  const owned = session.source !== 'exchange'
  const revoke = [
    ...(owned || session.home ? [session.plexToken] : []),
    ...(owned && session.home ? [session.home.adminToken] : []),
  ]
  const plex = c.var.plexFor(session)
  await Promise.all(
    revoke.map(async (token) => {
      try {
        await plex.signOut({ token })
      } catch {
        // Best effort: the session ends here whatever plex.tv says.
      }
    }),
  )
  await c.var.store.deleteSession(session)
}
