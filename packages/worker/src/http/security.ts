import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'
import { ProblemError, problemResponse } from './problem.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Whether a request may change state (and so needs CSRF protection). */
export const changesState = (method: string): boolean => !SAFE_METHODS.has(method)

/** ALLOWED_ORIGINS, plus the worker's own origin (the demo page is same-origin). */
export function isAllowedOrigin(c: Context<AppEnv>, origin: string): boolean {
  return c.var.config.allowedOrigins.has(origin) || origin === new URL(c.req.url).origin
}

/**
 * CSRF: a state-changing request whose Origin is not allowed is refused before anything happens.
 * With `required` (cookie-authenticated requests, form posts) a request without Origin is refused too,
 * unless the browser vouches that it is same-origin (`Sec-Fetch-Site`, which pages cannot set).
 */
export function checkOrigin(c: Context<AppEnv>, required: boolean): void {
  const origin = c.req.header('Origin')
  const missingOk = !required || c.req.header('Sec-Fetch-Site') === 'same-origin'
  if (origin === undefined ? !missingOk : !isAllowedOrigin(c, origin)) {
    throw new ProblemError(
      'origin_not_allowed',
      required
        ? 'Form posts and requests authenticated by cookie that change state need an allowed Origin header.'
        : 'This Origin is not allowed to call the worker.',
    )
  }
}

/** The content types a cross-site HTML form (or a no-preflight fetch) can send. */
const SIMPLE_BODY = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i

/**
 * Refuses state-changing requests from foreign origins, and form-encoded ones without an Origin: a
 * cross-site form could otherwise sign a victim's browser in to the attacker's account (login CSRF).
 * The cookie-specific rule is in session.ts.
 */
export const rejectForeignOrigins =
  (anyOrigin: (path: string, method: string) => boolean): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    // OIDC's back channel (token, revocation) is authenticated by the client, not by a cookie: no CSRF.
    if (changesState(c.req.method) && !anyOrigin(c.req.path, c.req.method))
      checkOrigin(c, SIMPLE_BODY.test(c.req.header('Content-Type') ?? ''))
    await next()
  }

const ALLOW_HEADERS = 'Authorization, Content-Type, X-Poll-Token, X-Session-Mode'

/**
 * CORS for ALLOWED_ORIGINS only, with credentials. A preflight from any other origin gets a 403
 * problem and no Access-Control-* header, so the browser blocks the request. Takes route-table.ts's
 * `methodsFor` rather than importing it: the routes import this module.
 */
export const cors =
  (methodsFor: (path: string) => readonly string[] | undefined): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const origin = c.req.header('Origin')
    const allowed = origin !== undefined && c.var.config.allowedOrigins.has(origin)
    if (c.req.method === 'OPTIONS' && origin !== undefined && c.req.header('Access-Control-Request-Method')) {
      const methods = methodsFor(c.req.path)
      const vary = { headers: { Vary: 'Origin' } }
      if (!methods) return problemResponse('not_found', 'There is nothing at this path.', vary)
      if (!allowed)
        return problemResponse('origin_not_allowed', 'This Origin is not allowed to call the worker.', vary)
      return new Response(null, {
        status: 204,
        headers: {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Credentials': 'true',
          'Access-Control-Allow-Methods': methods.join(', '),
          'Access-Control-Allow-Headers': ALLOW_HEADERS,
          'Access-Control-Max-Age': '600',
          'Cache-Control': 'no-store',
          Vary: 'Origin',
        },
      })
    }
    await next()
    c.res.headers.append('Vary', 'Origin')
    if (allowed) {
      c.res.headers.set('Access-Control-Allow-Origin', origin)
      c.res.headers.set('Access-Control-Allow-Credentials', 'true')
      c.res.headers.set('Access-Control-Expose-Headers', 'Retry-After')
    }
    return undefined
  }

/** `Cache-Control: no-store` on every /v1 answer: they carry tokens or per-user data. */
export const noStore: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next()
  c.res.headers.set('Cache-Control', 'no-store')
}

/**
 * The security headers of hono/secure-headers' defaults (a 180-day HSTS included), on every answer,
 * replacing any a handler set: set here without that middleware's option machinery, which weighs 3 KB
 * in the bundle for options the worker never uses.
 */
const SECURE_HEADERS: readonly [string, string][] = [
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
]

export const secureHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next()
  for (const [name, value] of SECURE_HEADERS) c.res.headers.set(name, value)
  c.res.headers.delete('X-Powered-By')
}
