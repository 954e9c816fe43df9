/*
 * The token endpoint (OpenID Connect Core 3.1.3, RFC 6749): a code for an ID token, an access token and a
 * refresh token; a refresh token for a new set (rotated: a refresh token used twice ends its grant).
 * Errors are OAuth's JSON (`invalid_grant`, `invalid_client`), which relying-party libraries read.
 */
import type { Context } from 'hono'
import type { OidcConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { defineRoute, type RouteDocs } from '../http/route.ts'
import { clientRequest } from '../oidc/clients.ts'
import { oauthError } from '../oidc/errors.ts'
import type { Family } from '../oidc/grants.ts'
import {
  grantsOf,
  newTokens,
  OIDC_PATHS,
  oidcOf,
  parseToken,
  s256,
  sessionOfGrant,
  tokenResponse,
} from '../oidc/provider.ts'
import { TokenForm, TokenResponse } from '../oidc/schemas.ts'
import type { OidcClient } from '../oidc/settings.ts'

/** A PKCE verifier (RFC 7636 4.1). */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/

const invalidGrant = () =>
  oauthError(400, 'invalid_grant', 'The code or refresh token is invalid, expired or used.')

/** A grant the grants object gave, answered with tokens while its session lives; else revoked, invalid_grant. */
async function answer(
  c: Context<AppEnv>,
  oidc: OidcConfig,
  client: OidcClient,
  sessionId: string,
  family: Family | undefined,
  tokens: Awaited<ReturnType<typeof newTokens>>,
): Promise<Response> {
  if (!family) return invalidGrant()
  const session = await sessionOfGrant(c, sessionId, family)
  const response = session && (await tokenResponse(c, oidc, family, tokens))
  if (response) return response
  // Its session ended (or says nothing of the user): the grant goes too.
  await grantsOf(oidc, sessionId).revoke(tokens.issued.refreshHash, client.client_id)
  return invalidGrant()
}

async function redeemCode(
  c: Context<AppEnv>,
  oidc: OidcConfig,
  client: OidcClient,
  form: Record<string, string>,
): Promise<Response> {
  const code = await parseToken(form.code)
  if (!code || form.redirect_uri === undefined) return invalidGrant()
  if (form.code_verifier !== undefined && !VERIFIER.test(form.code_verifier))
    return oauthError(400, 'invalid_grant', 'The code_verifier is malformed.')
  const tokens = await newTokens(c, oidc, code.sessionId)
  const asked = {
    clientId: client.client_id,
    redirectUri: form.redirect_uri,
    ...(form.code_verifier !== undefined ? { challenge: await s256(form.code_verifier) } : {}),
  }
  const family = await grantsOf(oidc, code.sessionId).redeemCode(code.hash, asked, tokens.issued, c.var.now())
  return answer(c, oidc, client, code.sessionId, family, tokens)
}

async function refresh(
  c: Context<AppEnv>,
  oidc: OidcConfig,
  client: OidcClient,
  form: Record<string, string>,
): Promise<Response> {
  const token = await parseToken(form.refresh_token)
  if (!token) return invalidGrant()
  const tokens = await newTokens(c, oidc, token.sessionId)
  const grants = grantsOf(oidc, token.sessionId)
  const family = await grants.refresh(token.hash, client.client_id, tokens.issued, c.var.now())
  return answer(c, oidc, client, token.sessionId, family, tokens)
}

export const oidcToken = defineRoute(
  {
    method: 'POST',
    path: OIDC_PATHS.token,
    anyOrigin: true,
    oauthErrors: true,
  },
  async (c) => {
    const oidc = oidcOf(c)
    const request = await clientRequest(c, oidc)
    if (request instanceof Response) return request
    const { form, client } = request
    if (form.grant_type === 'authorization_code') return redeemCode(c, oidc, client, form)
    if (form.grant_type === 'refresh_token') return refresh(c, oidc, client, form)
    return oauthError(400, 'unsupported_grant_type', 'Use authorization_code or refresh_token.')
  },
)

/** OpenAPI text of `oidcToken`: only the build-time document reads it (routes/route-docs.ts). */
export const oidcTokenDocs = (): RouteDocs => ({
  summary: 'OpenID Connect token endpoint: authorization_code (PKCE) and refresh_token grants',
  description:
    'Client authentication: client_secret_basic or client_secret_post for confidential clients, client_id alone ' +
    'for public ones. Errors are RFC 6749 JSON (`{"error": "invalid_grant", ...}`), not problem+json.',
  request: { body: { schema: TokenForm, form: true } },
  response: { status: 200, description: 'The tokens', schema: TokenResponse },
  problems: ['not_found'],
})
