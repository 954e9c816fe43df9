import { isPlexError } from '@plex-auth/core'
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { publicUser, rejectSession, requireSession } from '../session.ts'

/** `GET /v1/user`: the account behind the session (GetTokenDetails); a dead token ends the session. */
export const user = new Hono<AppEnv>().get('/v1/user', requireSession, async (c) => {
  const { plex, session } = c.var
  try {
    return c.json(publicUser(await plex.getTokenDetails({ token: session.plexToken })))
  } catch (error) {
    // The core reports a revoked token's 422 as unauthorized too.
    if (isPlexError(error, 'unauthorized')) await rejectSession(c)
    throw error
  }
})
