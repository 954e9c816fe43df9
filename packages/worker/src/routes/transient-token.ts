import { described, SERVER_FIELD } from '../http/described.ts'
import { TransientTokenResponse } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs, SESSION_PROBLEMS, UPSTREAM_PROBLEMS } from '../http/route.ts'
import { TransientTokenBody } from '../http/schemas.ts'
import { readBody, validate } from '../http/validation.ts'
import { resolveServer, transientTokenFor } from '../plex/servers.ts'
import { requireSession } from '../sessions/session.ts'

/** `POST /v1/transient-token`: a short-lived token for an allowed server, cached per session and server. */
export const transientToken = defineRoute(
  {
    method: 'POST',
    path: '/v1/transient-token',
    session: true,
  },
  requireSession,
  async (c) => {
    const input = validate(TransientTokenBody, await readBody(c, { optional: true }))
    const target = await resolveServer(c, input.server)
    const result = await transientTokenFor(c, target, { fresh: input.fresh ?? false })
    return c.json({
      token: result.token,
      expiresAt: new Date(result.expiresAt).toISOString(),
      cached: result.cached,
    })
  },
)

/** OpenAPI text of `transientToken`: only the build-time document reads it (routes/route-docs.ts). */
export const transientTokenDocs = (): RouteDocs => ({
  summary: 'A transient token for an allowed server, cached per session and server',
  description:
    'The token lives up to 48 hours at the server (until it restarts), whatever the worker does: sign-out ' +
    'does not end a transient token already handed out. The account token goes only to servers the account owns; ' +
    'a shared server is called with its own access token.',
  request: {
    body: {
      schema: described(TransientTokenBody, {
        type: 'The only type Plex has.',
        scope: 'The only scope Plex has.',
        server: SERVER_FIELD,
        fresh: 'Ignore (and replace) the cached token.',
      }),
      optional: true,
    },
  },
  response: { status: 200, description: 'A transient token', schema: TransientTokenResponse },
  problems: [
    'invalid_request',
    'server_not_allowed',
    'forbidden',
    'jwt_not_accepted_by_server',
    'origin_not_allowed',
    'payload_too_large',
    'unsupported_media_type',
    ...SESSION_PROBLEMS,
    ...UPSTREAM_PROBLEMS,
  ],
})
