import { isPlexError } from '@plex-auth/core'
import { described } from '../http/described.ts'
import { User } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs, SESSION_PROBLEMS, UPSTREAM_PROBLEMS } from '../http/route.ts'
import { UserQuery } from '../http/schemas.ts'
import { validate } from '../http/validation.ts'
import { userFromClaims } from '../sessions/jwt-session.ts'
import { orRejectSession, publicUser, requireSession } from '../sessions/session.ts'

/**
 * `GET /v1/user`: the account behind the session (GetTokenDetails); a dead token ends the session. With
 * `?from=claims`, a Plex JWT session is answered from its JWT's verified claims (plex.tv's keys cached in
 * the isolate): no round trip, but only the claims' fields, and no check that the token is still alive.
 */
export const user = defineRoute(
  {
    method: 'GET',
    path: '/v1/user',
    session: true,
  },
  requireSession,
  async (c) => {
    const { plex, session } = c.var
    const { from } = validate(UserQuery, c.req.query())
    if (from === 'claims' && session.jwt) {
      try {
        const claims = await plex.verifyPlexJwt({
          token: session.plexToken,
          deviceKey: session.jwt.deviceKey,
        })
        const fromClaims = userFromClaims(claims)
        if (fromClaims) return c.json(fromClaims)
      } catch (error) {
        // A JWT that does not verify (say, it expired and its renewal failed): plex.tv has the last word.
        if (!isPlexError(error, 'invalid_token')) throw error
      }
    }
    return c.json(publicUser(await orRejectSession(c, plex.getTokenDetails({ token: session.plexToken }))))
  },
)

/** OpenAPI text of `user`: only the build-time document reads it (routes/route-docs.ts). */
export const userDocs = (): RouteDocs => ({
  summary: 'The Plex account of the session (GetTokenDetails), or what its Plex JWT says (`from=claims`)',
  request: {
    query: described(UserQuery, {
      from:
        '`plex` (default): the whole account from plex.tv, which also checks the token is still alive. `claims`: for a ' +
        'Plex JWT session, answered from the verified claims of its JWT without calling plex.tv: only `id`, `uuid`, ' +
        '`username`, `email`, `friendlyName` and `title`, and a token revoked at plex.tv is not noticed until its ' +
        'JWT expires (7 days at most). A legacy session always asks plex.tv.',
    }),
  },
  response: { status: 200, description: 'The account', schema: User },
  problems: ['invalid_request', ...SESSION_PROBLEMS, ...UPSTREAM_PROBLEMS],
})
