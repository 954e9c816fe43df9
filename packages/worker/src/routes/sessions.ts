import { Hono } from 'hono'
import type { AppEnv } from '../app.ts'
import { isTokenRejected } from '../plex.ts'
import { ProblemError } from '../problem.ts'
import { clientIp, enforceRateLimit } from '../rate-limit.ts'
import { SessionExchangeBody } from '../schemas.ts'
import { startSession } from '../session.ts'
import { readBody, validate } from '../validation.ts'

/**
 * `POST /v1/sessions`: exchanges a Plex token the frontend already has for a session, once plex.tv
 * accepts it (GetTokenDetails). The token stays the frontend's: sign-out does not revoke it.
 */
export const sessions = new Hono<AppEnv>().post('/v1/sessions', async (c) => {
  const { config, plex } = c.var
  const input = validate(SessionExchangeBody, await readBody(c))
  await enforceRateLimit(config.signInLimiter, [`sessions:ip:${clientIp(c)}`])
  let user: object
  try {
    user = await plex.getTokenDetails({ token: input.plexToken })
  } catch (error) {
    if (isTokenRejected(error))
      throw new ProblemError(401, 'invalid_credentials', 'Plex did not accept this token.')
    throw error
  }
  return startSession(c, { plexToken: input.plexToken, source: 'exchange', user })
})
