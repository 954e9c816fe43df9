import { Hono } from 'hono'
import type { AppEnv } from '../app.ts'
import { toHttpOrigin } from '../config.ts'
import { isTokenRejected } from '../plex.ts'
import { rejectSession, requireSession } from '../session.ts'
import type { KnownServer } from '../session-store.ts'

/**
 * `GET /v1/servers`: the account's Plex Media Servers from plex.tv's resources, without access tokens.
 * Remembered for the session, so their connection URIs and clientIdentifiers become allowed `server`
 * values, each used with the server's own access token.
 */
export const servers = new Hono<AppEnv>().get('/v1/servers', requireSession, async (c) => {
  const { plex, session, store } = c.var
  let resources: Awaited<ReturnType<typeof plex.getResources>>
  try {
    resources = await plex.getResources({ token: session.plexToken })
  } catch (error) {
    if (isTokenRejected(error)) await rejectSession(c)
    throw error
  }
  const known: KnownServer[] = resources
    .filter((resource) => resource.provides.split(',').some((role) => role.trim() === 'server'))
    .map((resource) => ({
      clientIdentifier: resource.clientIdentifier,
      name: resource.name,
      owned: resource.owned === true,
      accessToken: resource.accessToken,
      connections: resource.connections
        .filter((connection) => toHttpOrigin(connection.uri) !== undefined)
        .map((connection) => ({
          uri: connection.uri,
          local: connection.local === true,
          relay: connection.relay === true,
        })),
    }))
  await store.putServers(session, known)
  return c.json({ servers: known.map(({ accessToken: _hidden, ...server }) => server) })
})
