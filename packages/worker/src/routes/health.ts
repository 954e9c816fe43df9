import { defineRoute } from '../route.ts'
import { HealthResponse } from '../schemas.ts'

/** `GET /v1/health`: the worker runs and its configuration is complete (else 500 misconfigured). */
export const health = defineRoute(
  {
    method: 'GET',
    path: '/v1/health',
    summary: 'The worker runs and is configured',
    response: { status: 200, description: 'Healthy', schema: HealthResponse },
    problems: ['misconfigured'],
  },
  (c) => c.json({ status: 'ok' as const }),
)
