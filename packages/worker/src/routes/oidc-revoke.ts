/*
 * Token revocation (RFC 7009): a client ends one of its access tokens, or a whole grant by its refresh
 * token. 200 whatever the token was (an unknown one included), so it tells nobody anything.
 */

import { defineRoute, type RouteDocs } from '../http/route.ts'
import { clientRequest } from '../oidc/clients.ts'
import { oauthError } from '../oidc/errors.ts'
import { grantsOf, OIDC_PATHS, oidcOf, parseToken } from '../oidc/provider.ts'
import { RevokeForm } from '../oidc/schemas.ts'

export const oidcRevoke = defineRoute(
  {
    method: 'POST',
    path: OIDC_PATHS.revoke,
    anyOrigin: true,
    oauthErrors: true,
  },
  async (c) => {
    const oidc = oidcOf(c)
    const request = await clientRequest(c, oidc)
    if (request instanceof Response) return request
    const { form, client } = request
    if (form.token === undefined) return oauthError(400, 'invalid_request', 'Send the token to revoke.')
    const token = await parseToken(form.token)
    if (token) await grantsOf(oidc, token.sessionId).revoke(token.hash, client.client_id)
    return c.body(null, 200)
  },
)

/** OpenAPI text of `oidcRevoke`: only the build-time document reads it (routes/route-docs.ts). */
export const oidcRevokeDocs = (): RouteDocs => ({
  summary: 'OpenID Connect: revoke an access token, or a grant by its refresh token (RFC 7009)',
  request: { body: { schema: RevokeForm, form: true } },
  response: { status: 200, description: 'Revoked (or unknown: the same answer)' },
  problems: ['not_found'],
})
