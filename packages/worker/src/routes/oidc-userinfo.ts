/*
 * The UserInfo endpoint (OpenID Connect Core 5.3): the claims of the access token's grant, from its
 * worker session as it is now. Access tokens are opaque (stored hashed), never JWTs: a token that looks
 * like a JWT, whatever its `alg`, is simply unknown (no `alg` confusion to exploit).
 */
import type { Context } from 'hono'
import { roleNow } from '../access/access.ts'
import type { AppEnv } from '../env.ts'
import { defineRoute, type RouteDescription, type RouteDocs } from '../http/route.ts'
import { claimsOf } from '../oidc/claims.ts'
import { oauthError } from '../oidc/errors.ts'
import { grantsOf, OIDC_PATHS, oidcOf, parseToken, sessionOfGrant } from '../oidc/provider.ts'
import { UserInfo } from '../oidc/schemas.ts'

/** RFC 6750 3.1: a refused bearer token says so in WWW-Authenticate. */
const invalidToken = () =>
  oauthError(401, 'invalid_token', 'The access token is invalid or expired.', {
    'WWW-Authenticate': 'Bearer error="invalid_token"',
  })

async function userinfo(c: Context<AppEnv>): Promise<Response> {
  const oidc = oidcOf(c)
  const header = c.req.header('Authorization')
  const presented = header === undefined ? undefined : /^Bearer +([A-Za-z0-9._-]+) *$/i.exec(header)?.[1]
  if (presented === undefined)
    return oauthError(401, 'invalid_request', 'Send the access token as Authorization: Bearer.', {
      'WWW-Authenticate': 'Bearer',
    })
  const token = await parseToken(presented)
  if (!token) return invalidToken()
  const family = await grantsOf(oidc, token.sessionId).accessGrant(token.hash, c.var.now())
  const session = family && (await sessionOfGrant(c, token.sessionId, family))
  const claims = session && family && claimsOf(session, family.scope, roleNow(c.var.config, session))
  if (!claims) return invalidToken()
  return c.json(claims)
}

const description: Omit<RouteDescription, 'method'> = {
  path: OIDC_PATHS.userinfo,
  anyOrigin: true,
  oauthErrors: true,
}

export const oidcUserinfo = defineRoute({ ...description, method: 'GET' }, userinfo)
/** The same by POST, which OpenID Connect Core 5.3.1 requires too. */
export const oidcUserinfoPost = defineRoute({ ...description, method: 'POST' }, userinfo)

/** OpenAPI text of `oidcUserinfo` and `oidcUserinfoPost` (routes/route-docs.ts). */
export const oidcUserinfoDocs = (): RouteDocs => ({
  summary: "OpenID Connect UserInfo: the claims of the access token's user",
  description:
    '`Authorization: Bearer <access token>`. The claims follow the granted scope; `groups` and `plex_role` carry the ' +
    'access-policy role. A token whose worker session ended is refused (401 invalid_token).',
  request: { headers: [{ name: 'Authorization', description: 'Bearer <access token>', required: true }] },
  response: { status: 200, description: 'The claims', schema: UserInfo },
  problems: ['not_found'],
})
