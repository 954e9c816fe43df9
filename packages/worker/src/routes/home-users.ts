import { HomeUsersResponse } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs, SESSION_PROBLEMS, UPSTREAM_PROBLEMS } from '../http/route.ts'
import { orRejectSession, requireSession } from '../sessions/session.ts'

/**
 * `GET /v1/home/users`: the members of the session's Plex Home, as plex.tv lists them for the session's
 * own token (a managed user sees the same Home), with the fields a user picker needs and no token.
 */
export const homeUsers = defineRoute(
  {
    method: 'GET',
    path: '/v1/home/users',
    session: true,
  },
  requireSession,
  async (c) => {
    const { plex, session } = c.var
    // The core answers [] for plex.tv's 404 (an account without a Home).
    const users = await orRejectSession(c, plex.getHomeUsers({ token: session.plexToken }))
    return c.json({
      // An allowlist, as for the account: a field plex.tv adds does not reach page scripts unreviewed.
      users: users.map((user) => ({
        id: user.id,
        uuid: user.uuid,
        title: user.title,
        ...(typeof user.thumb === 'string' ? { thumb: user.thumb } : {}),
        restricted: user.restricted,
        admin: user.admin,
        protected: user.protected,
      })),
    })
  },
)

/** OpenAPI text of `homeUsers`: only the build-time document reads it (routes/route-docs.ts). */
export const homeUsersDocs = (): RouteDocs => ({
  summary: "The members of the account's Plex Home (admin and managed users); `[]` without a Home",
  description:
    'For a Home-user picker: no tokens. `protected` users need their PIN to switch to (POST /v1/home/switch); ' +
    'an account without a Plex Home gets `{"users": []}`.',
  response: { status: 200, description: 'The Home users, the admin first', schema: HomeUsersResponse },
  problems: [...SESSION_PROBLEMS, ...UPSTREAM_PROBLEMS],
})
