import type { Context } from 'hono'
import { ROUTES } from '../routes/index.ts'
import { problemResponse } from './problem.ts'

/** Methods of each path the worker serves: for 405 answers, `Allow` and CORS preflight. From ROUTES. */
const TABLE: [RegExp, readonly string[]][] = ROUTES.map((route) => [
  route.pattern,
  route.method === 'GET' && !route.changesState ? ['GET', 'HEAD'] : [route.method],
])

/** Back-channel routes that relying parties' servers call (OIDC token, userinfo, revocation): no Origin check. */
const ANY_ORIGIN: [RegExp, string][] = ROUTES.filter((route) => route.anyOrigin).map((route) => [
  route.pattern,
  route.method,
])

/** Whether a request goes to a route that takes any Origin (`anyOrigin`). */
export function anyOrigin(path: string, method: string): boolean {
  return ANY_ORIGIN.some(([pattern, m]) => m === method && pattern.test(path))
}

/** The methods of a known path, or undefined. */
export function methodsFor(path: string): readonly string[] | undefined {
  const methods = TABLE.filter(([pattern]) => pattern.test(path)).flatMap(([, list]) => list)
  return methods.length > 0 ? methods : undefined
}

/** `app.notFound`: 405 with Allow for a known path, 204 with Allow for a plain OPTIONS, else 404. */
export function handleNotFound(c: Context): Response {
  const methods = methodsFor(c.req.path)
  if (!methods) return problemResponse('not_found', 'There is nothing at this path.')
  const allow = [...methods, 'OPTIONS'].join(', ')
  if (c.req.method === 'OPTIONS') return new Response(null, { status: 204, headers: { Allow: allow } })
  return problemResponse('method_not_allowed', `This path accepts ${methods.join(', ')}.`, {
    headers: { Allow: allow },
  })
}
