import { described } from '../http/described.ts'
import { ProblemError } from '../http/problem.ts'
import { defineRoute, type RouteDocs } from '../http/route.ts'
import { SessionIdParams } from '../http/schemas.ts'
import { validate } from '../http/validation.ts'
import { endSessions, requireSessionToEnd } from '../sessions/session.ts'
import { clearedSessionCookie } from '../sessions/session-cookie.ts'

/**
 * `DELETE /v1/sessions/{id}`: ends one session of the signed-in account, like its own sign-out would
 * (revoking at plex.tv the tokens the worker obtained). Another account's session id is 404, the same
 * answer as an unknown one, so ids cannot be probed. Ending the asking session also clears its cookie.
 */
export const sessionDelete = defineRoute(
  {
    method: 'DELETE',
    path: '/v1/sessions/{id}',
    session: true,
  },
  requireSessionToEnd,
  async (c) => {
    const { session, lineage } = c.var
    const { id } = validate(SessionIdParams, { id: c.req.param('id') })
    // A Home user's session manages only itself, not the admin's sessions.
    const found =
      session.id === id || (!session.home && (await lineage.find(session.accountUuid, id)) !== undefined)
    if (!found) throw new ProblemError('not_found', 'This account has no session with this id.')
    await endSessions(c, [id])
    if (id === session.id) c.header('Set-Cookie', clearedSessionCookie(c.var.config.sessionCookieDomain))
    return c.body(null, 204)
  },
)

/** OpenAPI text of `sessionDelete`: only the build-time document reads it (routes/route-docs.ts). */
export const sessionDeleteDocs = (): RouteDocs => ({
  summary: 'End one session of the account (by its `id` from GET /v1/sessions)',
  request: {
    params: described(SessionIdParams, {
      id: 'The `id` of a session from GET /v1/sessions (not its token).',
    }),
  },
  response: {
    status: 204,
    description: 'Ended (the cookie is cleared when it was this session)',
    setsCookie: true,
  },
  problems: ['invalid_request', 'not_found', 'origin_not_allowed', 'unauthenticated'],
})
