import { isPlexError } from '@plex-auth/core'
import { defineRoute, SESSION_PROBLEMS, UPSTREAM_PROBLEMS } from '../route.ts'
import { User } from '../schemas.ts'
import { publicUser, rejectSession, requireSession } from '../session.ts'

/** `GET /v1/user`: the account behind the session (GetTokenDetails); a dead token ends the session. */
export const user = defineRoute(
  {
    method: 'GET',
    path: '/v1/user',
    summary: 'The Plex account of the session (GetTokenDetails)',
    session: true,
    response: { status: 200, description: 'The account', schema: User },
    problems: [...SESSION_PROBLEMS, ...UPSTREAM_PROBLEMS],
  },
  requireSession,
  async (c) => {
    const { plex, session } = c.var
    try {
      return c.json(publicUser(await plex.getTokenDetails({ token: session.plexToken })))
    } catch (error) {
      // The core reports a revoked token's 422 as unauthorized too.
      if (isPlexError(error, 'unauthorized')) await rejectSession(c)
      throw error
    }
  },
)
