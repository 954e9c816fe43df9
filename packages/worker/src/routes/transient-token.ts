import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { TransientTokenBody } from '../schemas.ts'
import { resolveServer, transientTokenFor } from '../servers.ts'
import { requireSession } from '../session.ts'
import { readBody, validate } from '../validation.ts'

/** `POST /v1/transient-token`: a short-lived token for an allowed server, cached per session and server. */
export const transientToken = new Hono<AppEnv>().post('/v1/transient-token', requireSession, async (c) => {
  const input = validate(TransientTokenBody, await readBody(c, { optional: true }))
  const target = await resolveServer(c, input.server)
  const result = await transientTokenFor(c, target, { fresh: input.fresh ?? false })
  return c.json({
    token: result.token,
    expiresAt: new Date(result.expiresAt).toISOString(),
    cached: result.cached,
  })
})
