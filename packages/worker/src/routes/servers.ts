import { ServersResponse } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs, SESSION_PROBLEMS, UPSTREAM_PROBLEMS } from '../http/route.ts'
import { discoverServers } from '../plex/servers.ts'
import { requireSession } from '../sessions/session.ts'

/**
 * `GET /v1/servers`: the account's Plex Media Servers from plex.tv's resources, without access tokens.
 * Remembered for the session, so their connection URIs and clientIdentifiers become allowed `server`
 * values, each used with the server's own access token.
 */
export const servers = defineRoute(
  {
    method: 'GET',
    changesState: true,
    path: '/v1/servers',
    session: true,
  },
  requireSession,
  async (c) => {
    const known = await discoverServers(c)
    return c.json({ servers: known.map(({ accessToken: _hidden, ...server }) => server) })
  },
)

/** OpenAPI text of `servers`: only the build-time document reads it (routes/route-docs.ts). */
export const serversDocs = (): RouteDocs => ({
  summary:
    "The account's Plex Media Servers; their connection URIs and clientIdentifiers become allowed `server` values",
  response: { status: 200, description: 'Servers, without access tokens', schema: ServersResponse },
  problems: [...SESSION_PROBLEMS, ...UPSTREAM_PROBLEMS],
})
