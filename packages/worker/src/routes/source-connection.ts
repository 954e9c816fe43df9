import { isPlexError } from '@plex-auth/core'
import { described, SERVER_FIELD } from '../http/described.ts'
import { SourceConnectionResponse } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs, SESSION_PROBLEMS, UPSTREAM_PROBLEMS } from '../http/route.ts'
import { SourceConnectionQuery } from '../http/schemas.ts'
import { readQuery, validate } from '../http/validation.ts'
import { resolveServer, transientTokenFor, withConnection } from '../plex/servers.ts'
import { requireSession } from '../sessions/session.ts'

const CONNECTION_FIELDS = ['protocol', 'address', 'port', 'uri', 'local', 'relay'] as const

function pick<K extends string>(value: object, names: readonly K[]): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {}
  for (const name of names) if (name in value) out[name] = (value as Record<string, unknown>)[name]
  return out
}

/**
 * `GET /v1/source-connection`: how to reach a source, asked of the server with a transient token.
 * A cached transient token dies when the server restarts: on 401/403 with one, it is replaced once
 * and the call retried.
 */
export const sourceConnection = defineRoute(
  {
    method: 'GET',
    changesState: true,
    path: '/v1/source-connection',
    session: true,
  },
  requireSession,
  async (c) => {
    const { plex } = c.var
    const query = validate(SourceConnectionQuery, readQuery(c))
    const target = await resolveServer(c, query.server)
    const refresh = query.refresh === '1' || query.refresh === 'true'
    const ask = (token: string) =>
      withConnection(target, (serverUrl) =>
        plex.getSourceConnectionInformation({ source: query.source, refresh, token, serverUrl }),
      )
    const transient = await transientTokenFor(c, target, { fresh: false })
    let info: Awaited<ReturnType<typeof ask>>
    try {
      info = await ask(transient.token)
    } catch (error) {
      if (!(transient.cached && isPlexError(error, 'unauthorized', 'forbidden'))) throw error
      info = await ask((await transientTokenFor(c, target, { fresh: true })).token)
    }
    const connections = Array.isArray(info.connections) ? info.connections : []
    const picked = pick(info, ['accessToken', 'clientIdentifier', 'name'] as const)
    // A PMS may answer with the long-lived token we called it with (the account's, or a shared server's
    // own): those never leave the worker. Ask POST /v1/transient-token for that server instead.
    if (picked.accessToken === c.var.session.plexToken || picked.accessToken === target.token)
      delete picked.accessToken
    return c.json({
      ...picked,
      connections: connections.map((connection: object) => pick(connection, CONNECTION_FIELDS)),
    })
  },
)

/** OpenAPI text of `sourceConnection`: only the build-time document reads it (routes/route-docs.ts). */
export const sourceConnectionDocs = (): RouteDocs => ({
  summary: 'How to reach a source (GetSourceConnectionInformation), asked with a transient token',
  description:
    "Passes through the source's `accessToken`: handing it to the caller is this operation's purpose. " +
    'Never the long-lived token the worker called the server with.',
  request: {
    query: described(SourceConnectionQuery, {
      source: '`server://<clientIdentifier>` or `provider://<providerIdentifier>`.',
      server: SERVER_FIELD,
      refresh: 'Ask the server to refresh.',
    }),
  },
  response: { status: 200, description: 'Connection information', schema: SourceConnectionResponse },
  problems: [
    'invalid_request',
    'server_not_allowed',
    'forbidden',
    'jwt_not_accepted_by_server',
    'not_found',
    ...SESSION_PROBLEMS,
    ...UPSTREAM_PROBLEMS,
  ],
})
