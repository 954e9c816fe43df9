// The baseline for the worker throughput benchmark: the same GET /v1/user route doing only the upstream
// call (GetTokenDetails with a fixed token) and the same response shaping, with no session, KV or crypto.
import { createPlexClient } from '@plex-auth/core'
import { Hono } from 'hono'
import { publicUser } from '../packages/worker/src/sessions/session.ts'

// wrangler reads the root wrangler.toml for this worker too, and refuses to start unless every Durable
// Object class it binds is exported. The baseline never uses them.
export { OidcGrants } from '../packages/worker/src/oidc/grants.ts'
export { SignInGuard } from '../packages/worker/src/plex/sign-in-guard.ts'
export { SessionLineage } from '../packages/worker/src/sessions/session-lineage.ts'

interface BaselineBindings {
  PLEX_TV_URL: string
  BENCH_PLEX_TOKEN: string
}

const app = new Hono<{ Bindings: BaselineBindings }>().get('/v1/user', async (c) => {
  const plex = createPlexClient({
    clientIdentifier: 'plex-auth-bench',
    product: 'plex-auth bench',
    plexTvUrl: c.env.PLEX_TV_URL,
    retry: false,
  })
  return c.json(publicUser(await plex.getTokenDetails({ token: c.env.BENCH_PLEX_TOKEN })))
})

export default app
