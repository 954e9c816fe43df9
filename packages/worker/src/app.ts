import type { MiddlewareHandler } from 'hono'
import { Hono } from 'hono/tiny'
import { type Config, configFor } from './config.ts'
import type { AppEnv } from './env.ts'
import { handleError, ProblemError } from './http/problem.ts'
import { anyOrigin, handleNotFound, methodsFor } from './http/route-table.ts'
import { cors, noStore, rejectForeignOrigins, secureHeaders } from './http/security.ts'
import { createPlex } from './plex/plex.ts'
import { health, unhealthy } from './routes/health.ts'
import { ROUTES } from './routes/index.ts'
import { createLineage } from './sessions/lineage.ts'
import { createSessionStore } from './sessions/session-store.ts'

/** What the app takes from outside, so tests can swap the upstream and the clock. */
export interface AppDeps {
  /** The fetch used for plex.tv and servers. Default: the global fetch. */
  fetch?: typeof fetch
  /** The clock, ms since the epoch. Default Date.now. */
  now?: () => number
}

/**
 * Builds the worker's Hono app.
 * @example export default { fetch: createApp().fetch }
 * @example const res = await createApp({ fetch: fake.fetch }).request('/v1/health', {}, env)
 */
export function createApp(deps: AppDeps = {}): Hono<AppEnv> {
  const now = deps.now ?? Date.now
  // Bound here: calling the global fetch detached from globalThis throws "Illegal invocation" in workerd.
  const upstream: typeof fetch = deps.fetch ?? ((input, init) => fetch(input, init))
  const app = new Hono<AppEnv>()
  app.onError(handleError)
  app.notFound(handleNotFound)

  app.use('*', secureHeaders)
  // Hono answers HEAD with the GET handler; a GET that changes state must not run for a HEAD. And paths
  // are exact: hono/tiny's router (the smallest) would let `/v1/health/` match `/v1/health`.
  app.use('*', async (c, next) => {
    if (c.req.path !== '/' && c.req.path.endsWith('/')) return handleNotFound(c)
    if (c.req.method === 'HEAD' && !methodsFor(c.req.path)?.includes('HEAD')) return handleNotFound(c)
    await next()
    return undefined
  })
  app.use('/v1/*', noStore)
  const withContext: MiddlewareHandler<AppEnv> = async (c, next) => {
    let config: Config
    try {
      config = await configFor(c.env)
    } catch (error) {
      // /v1/health reports an incomplete configuration in its own answer; every other route fails with it.
      const misconfigured = error instanceof ProblemError && error.code === 'misconfigured'
      if (misconfigured && c.req.path === health.path) return unhealthy(c, error)
      throw error
    }
    c.set('config', config)
    c.set('now', now)
    c.set(
      'store',
      createSessionStore(config.kv, config.keyring, now, {
        sessionCacheSeconds: config.sessionCacheSeconds,
      }),
    )
    c.set(
      'lineage',
      createLineage(config.sessionLineage, now, {
        cacheSeconds: config.sessionCacheSeconds,
        cap: config.maxSessionsPerAccount,
      }),
    )
    c.set('plexFor', (device) => createPlex(config, upstream, device))
    await next()
    return undefined
  }
  app.use('/v1/*', withContext)
  // OpenID Connect discovery lives at the issuer's root (oidc/).
  app.use('/.well-known/*', withContext)
  app.use('/v1/*', cors(methodsFor))
  app.use('/v1/*', rejectForeignOrigins(anyOrigin))

  for (const route of ROUTES) app.route('/', route.app)
  return app
}
