/*
 * Forward-auth: Plex as the sign-in in front of any app, for nginx `auth_request`, Traefik ForwardAuth
 * and Caddy `forward_auth`. The proxy asks `GET /v1/forward-auth` with the visitor's cookies before every
 * request it passes on; 2xx lets the request through with the user in X-Plex-* headers, 401 and 403 stop it.
 * It runs on every proxied request, so it reads what the session already holds: one KV read on an
 * isolate-cache miss, none on a hit, and no plex.tv call but the access recheck (at most once an interval).
 */
import type { Context } from 'hono'
import { roleNow } from '../access/access.ts'
import type { Config } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { described } from '../http/described.ts'
import { ProblemError } from '../http/problem.ts'
import { defineRoute, type RouteDocs, SESSION_PROBLEMS } from '../http/route.ts'
import { ForwardAuthReturnQuery } from '../http/schemas.ts'
import { readQuery, validate } from '../http/validation.ts'
import { requireSession } from '../sessions/session.ts'

/** The headers a proxy copies to the app (authResponseHeaders, copy_headers, auth_request_set). */
export const FORWARD_AUTH_HEADERS = [
  'X-Plex-User-Uuid',
  'X-Plex-Username',
  'X-Plex-Email',
  'X-Plex-Role',
] as const

/** Whether a hostname is one FORWARD_AUTH_HOSTS names (exactly, or under a `*.domain` entry). */
export function forwardAuthHostAllowed(config: Config, hostname: string): boolean {
  const host = hostname.toLowerCase()
  return config.forwardAuthHosts.some((entry) =>
    entry.startsWith('*.') ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : host === entry,
  )
}

/** The URL a sign-in may return to: https (http on localhost), on an allowed host, no credentials. */
function returnUrl(config: Config, value: string): URL | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1'
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) return undefined
  if (url.username || url.password || !forwardAuthHostAllowed(config, url.hostname)) return undefined
  return url
}

/**
 * Where the visitor was going, from the proxy's X-Forwarded-* headers, when a redirect to the sign-in page
 * makes sense: a browser (it accepts HTML), a proxy that says where (X-Forwarded-Uri: Traefik, Caddy), and a
 * host FORWARD_AUTH_HOSTS allows. nginx's auth_request cannot pass a redirect on: it gets 401 and its own
 * `error_page 401` sends the visitor to the sign-in page.
 */
function destination(c: Context<AppEnv>): URL | undefined {
  const uri = c.req.header('X-Forwarded-Uri')
  const host = c.req.header('X-Forwarded-Host')
  if (!uri || !host || !(c.req.header('Accept') ?? '').includes('text/html')) return undefined
  const proto = (c.req.header('X-Forwarded-Proto') ?? 'https').split(',')[0]?.trim() || 'https'
  if (!uri.startsWith('/')) return undefined
  return returnUrl(c.var.config, `${proto}://${host.split(',')[0]?.trim()}${uri}`)
}

/**
 * A header value as the proxy can pass it on: printable ASCII as it is (`%` included), anything else
 * percent-encoded. Apps should key on X-Plex-User-Uuid, which is always plain.
 */
function headerValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value)
}

/** `GET /v1/forward-auth`: 200 with the user in headers, 401 (or 302 to sign in), 403 not a member. */
export const forwardAuth = defineRoute(
  {
    method: 'GET',
    path: '/v1/forward-auth',
    session: true,
  },
  async (c) => {
    c.set('appAuthorization', true)
    try {
      await requireSession(c, async () => {})
    } catch (error) {
      const to = error instanceof ProblemError && error.status === 401 ? destination(c) : undefined
      if (!to) throw error
      const signIn = new URL('/', c.req.url)
      signIn.searchParams.set('rd', to.href)
      return c.redirect(signIn.href, 302)
    }
    const { session, config } = c.var
    const role = roleNow(config, session)
    if (role === undefined) throw notAllowed()
    // A session from before forward-auth holds no profile: no identity to pass on, so no way through.
    const profile = session.profile
    if (!profile)
      throw new ProblemError('unauthenticated', 'This session predates forward-auth; sign in again.')
    c.header('Cache-Control', 'no-store')
    // Every header, empty when there is nothing to say: a proxy then overwrites whatever the client sent.
    c.header('X-Plex-User-Uuid', headerValue(profile.uuid))
    c.header('X-Plex-Username', headerValue(profile.username))
    c.header('X-Plex-Email', headerValue(profile.email ?? ''))
    c.header('X-Plex-Role', role)
    return c.body(null, 200)
  },
)

function notAllowed(): ProblemError {
  return new ProblemError('not_a_member', 'This Plex account may not use this app under the access policy.')
}

/**
 * `GET /v1/forward-auth/return?rd=<url>`: after signing in on the worker's page, back to the app the visitor
 * was going to, when its host is in FORWARD_AUTH_HOSTS (never anywhere else: no open redirect).
 */
export const forwardAuthReturn = defineRoute(
  {
    method: 'GET',
    path: '/v1/forward-auth/return',
  },
  async (c) => {
    const query = validate(ForwardAuthReturnQuery, readQuery(c))
    const to = returnUrl(c.var.config, query.rd)
    if (!to)
      throw new ProblemError('invalid_request', 'The request is invalid.', {
        issues: [{ path: 'rd', message: 'Invalid rd: not an https URL on a host in FORWARD_AUTH_HOSTS' }],
      })
    c.header('Cache-Control', 'no-store')
    return c.redirect(to.href, 302)
  },
)

/** OpenAPI text of `forwardAuth`: only the build-time document reads it (routes/route-docs.ts). */
export const forwardAuthDocs = (): RouteDocs => ({
  summary: 'Forward-auth for reverse proxies: 200 with X-Plex-* headers for a signed-in, allowed user',
  description:
    'For nginx auth_request, Traefik ForwardAuth and Caddy forward_auth. 200 (no body) with X-Plex-User-Uuid, ' +
    'X-Plex-Username, X-Plex-Email (when the user has one) and X-Plex-Role (with an access policy); 401 without a ' +
    'session, or 302 to the sign-in page when the proxy sends X-Forwarded-Host and X-Forwarded-Uri for a browser ' +
    'and the host is in FORWARD_AUTH_HOSTS; 403 not_a_member when the access policy refuses the user. Values that ' +
    'are not printable ASCII are percent-encoded.',
  response: { status: 200, description: 'Signed in and allowed: the user is in the X-Plex-* headers' },
  problems: [...SESSION_PROBLEMS],
})

/** OpenAPI text of `forwardAuthReturn`: only the build-time document reads it (routes/route-docs.ts). */
export const forwardAuthReturnDocs = (): RouteDocs => ({
  summary: 'Back to the app a forward-auth sign-in came from (FORWARD_AUTH_HOSTS only)',
  request: {
    query: described(ForwardAuthReturnQuery, {
      rd: 'Where the visitor was going: an https URL on a host in FORWARD_AUTH_HOSTS.',
    }),
  },
  response: { status: 302, description: 'To the app' },
  problems: ['invalid_request'],
})
