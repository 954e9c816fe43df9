import { createApp } from './app.ts'

export type { AppDeps, AppEnv } from './app.ts'
export { createApp } from './app.ts'

import type { Bindings } from './config.ts'

export type { Bindings } from './config.ts'
export type { ProblemBody, ProblemCode } from './problem.ts'

/** The worker: wrangler's `main`. */
export default { fetch: createApp().fetch } satisfies ExportedHandler<Bindings>
