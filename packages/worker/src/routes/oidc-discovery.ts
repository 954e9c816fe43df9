/*
 * OpenID Connect Discovery 1.0: the provider's metadata at the issuer's `/.well-known/openid-configuration`,
 * and its public keys (JWKS). Both public; 404 while OIDC_CLIENTS is unset.
 */

import { defineRoute, type RouteDocs } from '../http/route.ts'
import { CLAIMS, SCOPES } from '../oidc/claims.ts'
import { signingKeysOf } from '../oidc/keys.ts'
import { issuerOf, OIDC_PATHS, oidcOf } from '../oidc/provider.ts'
import { Discovery, Jwks } from '../oidc/schemas.ts'

export const oidcDiscovery = defineRoute(
  {
    method: 'GET',
    path: OIDC_PATHS.discovery,
  },
  (c) => {
    const oidc = oidcOf(c)
    const issuer = issuerOf(c, oidc)
    c.header('Cache-Control', 'public, max-age=300')
    // Public metadata: a browser app (a public client) may read it from any origin, without credentials.
    c.header('Access-Control-Allow-Origin', '*')
    return c.json({
      issuer,
      authorization_endpoint: issuer + OIDC_PATHS.authorize,
      token_endpoint: issuer + OIDC_PATHS.token,
      userinfo_endpoint: issuer + OIDC_PATHS.userinfo,
      jwks_uri: issuer + OIDC_PATHS.jwks,
      revocation_endpoint: issuer + OIDC_PATHS.revoke,
      end_session_endpoint: issuer + OIDC_PATHS.endSession,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: [...SCOPES],
      claims_supported: [...CLAIMS],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      authorization_response_iss_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
    })
  },
)

export const oidcJwks = defineRoute(
  {
    method: 'GET',
    path: OIDC_PATHS.jwks,
  },
  async (c) => {
    const oidc = oidcOf(c)
    const keys = await signingKeysOf(oidc, c.var.config.kv, c.var.store)
    // Public keys: readable from any origin (an ALLOWED_ORIGINS origin gets its own CORS headers instead).
    c.header('Access-Control-Allow-Origin', '*')
    return c.json({ keys: keys.map((key) => key.publicJwk) })
  },
)

/** OpenAPI text of `oidcDiscovery`: only the build-time document reads it (routes/route-docs.ts). */
export const oidcDiscoveryDocs = (): RouteDocs => ({
  summary: 'OpenID Connect discovery: the provider metadata (issuer OIDC_ISSUER, or this origin)',
  description: 'Served when OIDC_CLIENTS is set; 404 otherwise.',
  response: { status: 200, description: 'The provider metadata', schema: Discovery },
  problems: ['not_found'],
})

/** OpenAPI text of `oidcJwks`: only the build-time document reads it (routes/route-docs.ts). */
export const oidcJwksDocs = (): RouteDocs => ({
  summary: 'OpenID Connect: the public keys that verify ID tokens (RS256)',
  description: 'Every key of OIDC_SIGNING_KEYS (or the generated key), public halves only.',
  response: { status: 200, description: 'A JWK set', schema: Jwks },
  problems: ['not_found'],
})
