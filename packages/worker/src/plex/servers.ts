import { isPlexError } from '@plex-auth/core'
import type { Context } from 'hono'
import { httpOriginOf, toHttpOrigin } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { ProblemError } from '../http/problem.ts'
import { orRejectSession, rejectSession } from '../sessions/session.ts'
import type { KnownServer } from '../sessions/session-store.ts'

/** Where a server call goes and with which token, decided before any request leaves. */
export interface ServerTarget {
  /** Identifies the server in the transient-token cache: its clientIdentifier when known, else its origin. */
  cacheId: string
  /** Origins to try, in order (several only for a discovered server named by clientIdentifier). */
  origins: string[]
  /** The session's Plex token (servers the account owns only), or the server's own access token. */
  token: string
}

/** A request tries at most this many connections of a server: a hostile listing cannot fan it out. */
const MAX_CONNECTION_ATTEMPTS = 3

const CLIENT_IDENTIFIER = /^[A-Za-z0-9._-]{1,200}$/

/** A cloud worker rarely reaches a LAN address: try direct public connections first, relays next, local last. */
function connectionOrder(connection: { local: boolean; relay: boolean }): number {
  return connection.local ? 2 : connection.relay ? 1 : 0
}

/**
 * The token a server gets: its own access token from the account's resources, or the account's token
 * when the account owns it. A shared server listed without one would otherwise receive a token to
 * someone else's whole account.
 */
function tokenFor(server: KnownServer, accountToken: string): string {
  const token = server.accessToken ?? (server.owned ? accountToken : undefined)
  if (token === undefined) throw notAllowed()
  return token
}

/**
 * The origins to try for a discovered server: https only, unless ALLOW_HTTP_SERVERS is set and the
 * server offers no https connection at all (so a failed https connection never falls back to http).
 */
function originsOf(server: KnownServer, allowHttp: boolean): string[] {
  const origins = [...server.connections]
    .sort((a, b) => connectionOrder(a) - connectionOrder(b))
    .map((connection) => toHttpOrigin(connection.uri))
    .filter((origin): origin is string => origin !== undefined)
  const https = origins.filter((origin) => origin.startsWith('https:'))
  const usable = https.length > 0 ? https : allowHttp ? origins : []
  return [...new Set(usable)].slice(0, MAX_CONNECTION_ATTEMPTS)
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
  return new ProblemError('invalid_request', 'The request is invalid.', {
    issues: [{ path: 'server', message: 'Invalid server: expected an http(s) origin or a clientIdentifier' }],
  })
}

function notAllowed(): ProblemError {
  return new ProblemError(
    'server_not_allowed',
    'This server is not allowed: use PLEX_SERVER_URL, ALLOWED_SERVER_URLS or a server from GET /v1/servers.',
  )
}

function httpNotAllowed(): ProblemError {
  return new ProblemError(
    'server_not_allowed',
    'This server is only reachable over plain http, which the worker does not use unless ALLOW_HTTP_SERVERS is set.',
  )
}

/**
 * The account's servers from plex.tv's resources, each with its own access token and its http(s)
 * connections. Remembered for the session, so the answer names what the session may call.
 */
export async function discoverServers(c: Context<AppEnv>): Promise<KnownServer[]> {
  const { plex, session, store } = c.var
  const resources = await orRejectSession(c, plex.getResources({ token: session.plexToken }))
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
  return known
}

/** The session's servers: remembered from GET /v1/servers, else discovered now. */
async function knownServers(c: Context<AppEnv>): Promise<KnownServer[]> {
  return (await c.var.store.getServers(c.var.session)) ?? discoverServers(c)
}

/** The discovered server one of whose connections is this origin. */
function serverAt(servers: KnownServer[], origin: string): KnownServer | undefined {
  return servers.find((s) => s.connections.some((connection) => toHttpOrigin(connection.uri) === origin))
}

/**
 * A configured server (PLEX_SERVER_URL, ALLOWED_SERVER_URLS): the operator chose the address, but which
 * token it gets depends on the user. The account's token goes only to a server the account owns; a
 * server shared with the user gets its own access token; a server the account cannot see gets nothing.
 */
async function configuredTarget(c: Context<AppEnv>, origin: string): Promise<ServerTarget> {
  const server = serverAt(await knownServers(c), origin)
  if (!server)
    throw new ProblemError(
      'forbidden',
      'This server is not among the Plex servers of this account, so no token is sent to it.',
    )
  return { cacheId: origin, origins: [origin], token: tokenFor(server, c.var.session.plexToken) }
}

/**
 * Resolves the `server` of a request (an origin or a discovered server's clientIdentifier; default
 * PLEX_SERVER_URL). Anything not allowed is refused before any request is made.
 */
export async function resolveServer(c: Context<AppEnv>, server: string | undefined): Promise<ServerTarget> {
  const { config, session } = c.var
  if (server === undefined) {
    if (!config.serverUrl) {
      throw new ProblemError('invalid_request', 'No default server is configured: name one.', {
        issues: [{ path: 'server', message: 'Required' }],
      })
    }
    return configuredTarget(c, config.serverUrl)
  }
  if (server.includes('://')) {
    const origin = serverOrigin(server)
    if (!origin) throw invalidServer()
    if (config.allowedServerOrigins.has(origin)) return configuredTarget(c, origin)
    const match = serverAt((await c.var.store.getServers(session)) ?? [], origin)
    if (!match) throw notAllowed()
    if (origin.startsWith('http:') && !config.allowHttpServers) throw httpNotAllowed()
    return {
      cacheId: `server:${match.clientIdentifier}`,
      origins: [origin],
      token: tokenFor(match, session.plexToken),
    }
  }
  if (!CLIENT_IDENTIFIER.test(server)) throw invalidServer()
  const match = ((await c.var.store.getServers(session)) ?? []).find((s) => s.clientIdentifier === server)
  if (!match) throw notAllowed()
  const token = tokenFor(match, session.plexToken)
  const origins = originsOf(match, config.allowHttpServers)
  if (origins.length === 0) {
    if (match.connections.length > 0) throw httpNotAllowed()
    throw new ProblemError('upstream_error', 'This server has no usable connection.')
  }
  return { cacheId: `server:${match.clientIdentifier}`, origins, token }
}

/**
 * Calls `fn` with each origin of the target in turn until one answers: only unreachable connections
 * (network error, timeout) move on to the next one, and never more than MAX_CONNECTION_ATTEMPTS.
 */
export async function withConnection<T>(
  target: ServerTarget,
  fn: (serverUrl: string) => Promise<T>,
): Promise<T> {
  let lastError: unknown
  for (const origin of target.origins.slice(0, MAX_CONNECTION_ATTEMPTS)) {
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
    if (isPlexError(error, 'unauthorized')) await rejectSession(c)
  }
  throw new ProblemError('forbidden', 'The server did not accept this account.')
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
