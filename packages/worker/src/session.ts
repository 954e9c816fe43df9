import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppEnv } from './app.ts'
import { ProblemError } from './problem.ts'
import { changesState, checkOrigin } from './security.ts'
import type { SessionSource } from './session-store.ts'

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
 */
export const requireSession: MiddlewareHandler<AppEnv> = async (c, next) => {
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
    if (changesState(c.req.method)) checkOrigin(c, true)
  }
  const session = await c.var.store.getSession(token)
  if (!session) throw unauthenticated(via, 'The session is unknown or expired; sign in again.')
  c.set('session', session)
  c.set('sessionVia', via)
  await next()
}

function unauthenticated(via: 'bearer' | 'cookie', detail: string): ProblemError {
  return new ProblemError(401, 'unauthenticated', detail, {
    headers: via === 'cookie' ? { 'Set-Cookie': clearedSessionCookie } : {},
  })
}

const HIDDEN_USER_FIELDS = new Set(['authToken', 'authenticationToken', 'authentication_token'])
const HIDDEN_SERVICE_FIELDS = new Set(['token', 'secret'])

/** The account as frontends see it: no `authToken`, no `services[].token` or `.secret`. */
export function publicUser(user: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(user)) {
    if (HIDDEN_USER_FIELDS.has(name)) continue
    if (name === 'services' && Array.isArray(value)) {
      out[name] = value.map((service: unknown) =>
        service && typeof service === 'object'
          ? Object.fromEntries(Object.entries(service).filter(([key]) => !HIDDEN_SERVICE_FIELDS.has(key)))
          : service,
      )
    } else out[name] = value
  }
  return out
}

/**
 * Creates a session for a Plex token and answers with it: the token in the body (for bearer use) and
 * in the cookie (for browsers).
 */
export async function startSession(
  c: Context<AppEnv>,
  input: { plexToken: string; source: SessionSource; user: object; status?: 200 | 201; extra?: object },
): Promise<Response> {
  const { config, store, now } = c.var
  const { token, session } = await store.createSession({
    plexToken: input.plexToken,
    source: input.source,
    ttlSeconds: config.sessionTtlSeconds,
  })
  c.header('Set-Cookie', sessionCookie(token, Math.floor((session.expiresAt - now()) / 1000)))
  return c.json(
    {
      ...input.extra,
      session: { token, expiresAt: new Date(session.expiresAt).toISOString() },
      user: publicUser(input.user),
    },
    input.status ?? 201,
  )
}

/** Plex no longer accepts the session's token: the session is deleted and the client must sign in again. */
export async function rejectSession(c: Context<AppEnv>): Promise<never> {
  await c.var.store.deleteSession(c.var.session.hash)
  throw new ProblemError(401, 'plex_token_rejected', 'Plex no longer accepts this session; sign in again.', {
    headers: c.var.sessionVia === 'cookie' ? { 'Set-Cookie': clearedSessionCookie } : {},
  })
}
