import type { Context } from 'hono'
import type { AppEnv } from './app.ts'
import { httpOriginOf, toHttpOrigin } from './config.ts'
import { isPlexError, isTokenRejected } from './plex.ts'
import { ProblemError } from './problem.ts'
import { rejectSession } from './session.ts'
import type { KnownServer } from './session-store.ts'

/** Where a server call goes and with which token, decided before any request leaves. */
export interface ServerTarget {
  /** Identifies the server in the transient-token cache: its clientIdentifier when known, else its origin. */
  cacheId: string
  /** Origins to try, in order (several only for a discovered server named by clientIdentifier). */
  origins: string[]
  /** The session's Plex token, or the server's own access token from plex.tv's resources. */
  token: string
}

const CLIENT_IDENTIFIER = /^[A-Za-z0-9._-]{1,200}$/

/** A cloud worker rarely reaches a LAN address: try direct public connections first, relays next, local last. */
function connectionOrder(connection: { local: boolean; relay: boolean }): number {
  return connection.local ? 2 : connection.relay ? 1 : 0
}

function targetOf(server: KnownServer, sessionToken: string, first?: string): ServerTarget {
  // The account's own token only ever goes to the account's own servers. A shared server that plex.tv
  // lists without an access token (`null`) would otherwise receive a token to someone else's whole account.
  const token = server.accessToken ?? (server.owned ? sessionToken : undefined)
  if (token === undefined) throw notAllowed()
  const origins = [...server.connections]
    .sort((a, b) => connectionOrder(a) - connectionOrder(b))
    .map((connection) => toHttpOrigin(connection.uri))
    .filter((origin): origin is string => origin !== undefined)
  return {
    cacheId: `server:${server.clientIdentifier}`,
    origins: first ? [first] : [...new Set(origins)],
    token,
  }
}

/** The origin of `server` when it is exactly an http(s) origin (no path, query or fragment). */
function serverOrigin(server: string): string | undefined {
  let url: URL
  try {
    url = new URL(server)
  } catch {
    return undefined
  }
  if (url.pathname !== '/' || url.search || url.hash) return undefined
  return httpOriginOf(url)
}

function invalidServer(): ProblemError {
  return new ProblemError(400, 'invalid_request', 'The request is invalid.', {
    issues: [{ path: 'server', message: 'Invalid server: expected an http(s) origin or a clientIdentifier' }],
  })
}

function notAllowed(): ProblemError {
  return new ProblemError(
    400,
    'server_not_allowed',
    'This server is not allowed: use PLEX_SERVER_URL, ALLOWED_SERVER_URLS or a server from GET /v1/servers.',
  )
}

/**
 * Resolves the `server` of a request (an origin or a discovered server's clientIdentifier; default
 * PLEX_SERVER_URL). Anything not allowed is 400 server_not_allowed before any request is made.
 */
export async function resolveServer(c: Context<AppEnv>, server: string | undefined): Promise<ServerTarget> {
  const { config, session, store } = c.var
  if (server === undefined) {
    if (!config.serverUrl) {
      throw new ProblemError(400, 'invalid_request', 'No default server is configured: name one.', {
        issues: [{ path: 'server', message: 'Required' }],
      })
    }
    return { cacheId: config.serverUrl, origins: [config.serverUrl], token: session.plexToken }
  }
  if (server.includes('://')) {
    const origin = serverOrigin(server)
    if (!origin) throw invalidServer()
    if (config.allowedServerOrigins.has(origin))
      return { cacheId: origin, origins: [origin], token: session.plexToken }
    const known = (await store.getServers(session)) ?? []
    const match = known.find((s) =>
      s.connections.some((connection) => toHttpOrigin(connection.uri) === origin),
    )
    if (match) return targetOf(match, session.plexToken, origin)
    throw notAllowed()
  }
  if (!CLIENT_IDENTIFIER.test(server)) throw invalidServer()
  const match = ((await store.getServers(session)) ?? []).find((s) => s.clientIdentifier === server)
  if (!match) throw notAllowed()
  const target = targetOf(match, session.plexToken)
  if (target.origins.length === 0)
    throw new ProblemError(502, 'upstream_error', 'This server has no usable connection.')
  return target
}

/**
 * Calls `fn` with each origin of the target in turn until one answers: only unreachable connections
 * (network error, timeout) move on to the next one.
 */
export async function withConnection<T>(
  target: ServerTarget,
  fn: (serverUrl: string) => Promise<T>,
): Promise<T> {
  let lastError: unknown
  for (const origin of target.origins) {
    try {
      return await fn(origin)
    } catch (error) {
      if (!isPlexError(error, 'network_error', 'timeout')) throw error
      lastError = error
    }
  }
  throw lastError
}

/**
 * After a server refused the session's token (401): ask plex.tv whether the token itself is dead. If it
 * is, the session goes (plex_token_rejected); if not, this account may just not use that server.
 */
async function explainServerRefusal(c: Context<AppEnv>): Promise<never> {
  try {
    await c.var.plex.getTokenDetails({ token: c.var.session.plexToken })
  } catch (error) {
    if (isTokenRejected(error)) await rejectSession(c)
  }
  throw new ProblemError(403, 'forbidden', 'The server did not accept this account.')
}

/**
 * A transient token for the target: from the KV cache unless `fresh`, else a new one from the server,
 * cached until `TRANSIENT_TOKEN_TTL_SECONDS` (well under Plex's 48 h). A 401/403 from the server evicts.
 */
export async function transientTokenFor(
  c: Context<AppEnv>,
  target: ServerTarget,
  options: { fresh: boolean },
): Promise<{ token: string; expiresAt: number; cached: boolean }> {
  const { store, session, config, plex, now } = c.var
  if (!options.fresh) {
    const hit = await store.getTransientToken(session, target.cacheId)
    if (hit) return { ...hit, cached: true }
  }
  let token: string
  try {
    ;({ token } = await withConnection(target, (serverUrl) =>
      plex.getTransientToken({ type: 'delegation', scope: 'all', token: target.token, serverUrl }),
    ))
  } catch (error) {
    if (isPlexError(error, 'unauthorized', 'forbidden')) {
      await store.deleteTransientToken(session, target.cacheId)
      if (isPlexError(error, 'unauthorized')) await explainServerRefusal(c)
    }
    throw error
  }
  // Overwrites any older entry: one write per refresh, never a delete followed by a put.
  const expiresAt = Math.min(now() + config.transientTokenTtlSeconds * 1000, session.expiresAt)
  await store.putTransientToken(session, target.cacheId, token, expiresAt)
  return { token, expiresAt, cached: false }
}
