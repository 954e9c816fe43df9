import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { discoverServers } from '../servers.ts'
import { requireSession } from '../session.ts'

/**
 * `GET /v1/servers`: the account's Plex Media Servers from plex.tv's resources, without access tokens.
 * Remembered for the session, so their connection URIs and clientIdentifiers become allowed `server`
 * values, each used with the server's own access token.
 */
export const servers = new Hono<AppEnv>().get('/v1/servers', requireSession, async (c) => {
  const known = await discoverServers(c)
  return c.json({ servers: known.map(({ accessToken: _hidden, ...server }) => server) })
})
