import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'

/** `GET /v1/health`: the worker runs and its configuration is complete (else 500 misconfigured). */
export const health = new Hono<AppEnv>().get('/v1/health', (c) => c.json({ status: 'ok' as const }))
