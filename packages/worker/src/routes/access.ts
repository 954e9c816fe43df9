import { accessOf, accessView } from '../access/access.ts'
import { AccessInfo } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs, SESSION_PROBLEMS, UPSTREAM_PROBLEMS } from '../http/route.ts'
import { orRejectSession, requireSession } from '../sessions/session.ts'

/**
 * `GET /v1/access`: who the session's user is to the Plex servers. With an access policy
 * (PLEX_ACCESS_SERVERS) the answer is the session's checked access, asked of plex.tv again at most every
 * PLEX_ACCESS_RECHECK_SECONDS; without one, every server the user reaches, asked of plex.tv now.
 */
export const access = defineRoute(
  {
    method: 'GET',
    path: '/v1/access',
    session: true,
  },
  requireSession,
  async (c) => {
    const { session, config, plex } = c.var
    if (config.access && session.access) return c.json(accessView(session.access))
    return c.json(await orRejectSession(c, accessOf(plex, session.plexToken, config.access)))
  },
)

/** OpenAPI text of `access`: only the build-time document reads it (routes/route-docs.ts). */
export const accessDocs = (): RouteDocs => ({
  summary: "Who the session's user is to the Plex servers: owner, home (Plex Home member), friend, or none",
  description:
    'With PLEX_ACCESS_SERVERS set: the servers of the policy the user reaches with a role PLEX_ACCESS_ROLES allows ' +
    '(checked at sign-in, then again every PLEX_ACCESS_RECHECK_SECONDS; a user who lost access gets 403 not_a_member ' +
    "and the session ends). Without: every server of the user's own plex.tv resources.",
  response: { status: 200, description: "The user's role and servers", schema: AccessInfo },
  problems: [...SESSION_PROBLEMS, ...UPSTREAM_PROBLEMS],
})
