import { isPlexError } from '@plex-auth/core'
import { Hono } from 'hono'
import { newDevice } from '../device.ts'
import type { AppEnv } from '../env.ts'
import { ProblemError } from '../problem.ts'
import { clientIp, enforceRateLimit } from '../rate-limit.ts'
import { SessionExchangeBody } from '../schemas.ts'
import { sessionModeOf, startSession } from '../session.ts'
import { readBody, validate } from '../validation.ts'

/**
 * `POST /v1/sessions`: exchanges a Plex token the frontend already has for a session, once plex.tv
 * accepts it (GetTokenDetails). The worker cannot know which device the token was made for, so the
 * session's own calls use a fresh identifier; the token stays the frontend's: sign-out does not revoke it.
 */
export const sessions = new Hono<AppEnv>().post('/v1/sessions', async (c) => {
  const { config, plexFor } = c.var
  const mode = sessionModeOf(c)
  const input = validate(SessionExchangeBody, await readBody(c))
  await enforceRateLimit(config.signInLimiter, [`sessions:ip:${clientIp(c)}`])
  const device = newDevice(c.req.header('User-Agent'))
  let user: object
  try {
    user = await plexFor(device).getTokenDetails({ token: input.plexToken })
  } catch (error) {
    if (isPlexError(error, 'unauthorized'))
      throw new ProblemError('invalid_credentials', 'Plex did not accept this token.')
    throw error
  }
  return startSession(c, { plexToken: input.plexToken, source: 'exchange', device, user, mode })
})
