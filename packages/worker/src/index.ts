import { createApp } from './app.ts'

export type { AppDeps } from './app.ts'
export { createApp } from './app.ts'

import type { Bindings } from './env.ts'
import { scheduled } from './scheduled.ts'

export type { AppEnv, Bindings, Variables } from './env.ts'
export type { ProblemBody, ProblemCode } from './http/problem.ts'
/** The Durable Objects behind SESSION_LINEAGE, SIGN_IN_GUARD and OIDC_GRANTS: wrangler needs them exported from `main`. */
export { OidcGrants } from './oidc/grants.ts'
export { SignInGuard } from './plex/sign-in-guard.ts'
export { SessionLineage } from './sessions/session-lineage.ts'

/** The worker: wrangler's `main`. `scheduled` is the keep-alive cron (wrangler.toml `[triggers]`). */
export default { fetch: createApp().fetch, scheduled } satisfies ExportedHandler<Bindings>
