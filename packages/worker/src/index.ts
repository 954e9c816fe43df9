import { createApp } from './app.ts'

export type { AppDeps } from './app.ts'
export { createApp } from './app.ts'

import type { Bindings } from './env.ts'
import { scheduled } from './scheduled.ts'

export type { AppEnv, Bindings, Variables } from './env.ts'
/** The Durable Objects behind SESSION_LINEAGE, SIGN_IN_GUARD and OIDC_GRANTS: wrangler needs them exported from `main`. */
export { OidcGrants } from './oidc/index.ts'
export type { ProblemBody, ProblemCode } from './problem.ts'
export { SessionLineage } from './session-lineage.ts'
export { SignInGuard } from './sign-in-guard.ts'

/** The worker: wrangler's `main`. `scheduled` is the keep-alive cron (wrangler.toml `[triggers]`). */
export default { fetch: createApp().fetch, scheduled } satisfies ExportedHandler<Bindings>
