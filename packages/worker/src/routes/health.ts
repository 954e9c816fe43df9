import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import type { ProblemError } from '../http/problem.ts'
import { HealthResponse } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs } from '../http/route.ts'

/** How to make a missing TOKEN_ENCRYPTION_KEY, in one line: the setting a fresh deployment lacks. */
export const MISSING_KEY_FIX =
  'Make TOKEN_ENCRYPTION_KEY with `npm run deploy` (it generates and stores one when missing) or `openssl rand -base64 32 | npx wrangler secret put TOKEN_ENCRYPTION_KEY`; `wrangler dev` writes one to .dev.vars.'

/** `GET /v1/health`: the worker runs and its configuration is complete (else 503, still a health answer). */
export const health = defineRoute(
  {
    method: 'GET',
    path: '/v1/health',
  },
  (c) => c.json({ status: 'ok' as const }),
)

/**
 * The health answer of a worker whose configuration is incomplete (called by the app's configuration
 * step instead of failing): 503 `{status: 'misconfigured', detail, fix?}` in health's own shape, so a
 * monitor reads what is missing (names only, never a value) and how to make it.
 */
export function unhealthy(c: Context<AppEnv>, problem: ProblemError): Response {
  const fix = problem.message.includes('TOKEN_ENCRYPTION_KEY') ? { fix: MISSING_KEY_FIX } : {}
  return c.json({ status: 'misconfigured' as const, detail: problem.message, ...fix }, 503)
}

/** OpenAPI text of `health`: only the build-time document reads it (routes/route-docs.ts). */
export const healthDocs = (): RouteDocs => ({
  summary: 'The worker runs and is configured',
  description:
    'When a setting is missing or invalid, answers 503 `{"status":"misconfigured","detail":…,"fix":…}` (the setting named, never its value; `fix` says how to make a missing TOKEN_ENCRYPTION_KEY) instead of the 500 problem other routes give.',
  response: { status: 200, description: 'Healthy', schema: HealthResponse },
  problems: [],
})
