/*
 * The OIDC endpoints' requests and answers, as valibot schemas: the routes' descriptions (and so the
 * OpenAPI document and the tests' check of every 2xx body) take them from here.
 */
import * as v from 'valibot'

const text = (description: string) =>
  v.optional(v.pipe(v.string(), v.maxLength(4096), v.description(description)))

export const AuthorizeQuery = v.object({
  client_id: text('A client_id from OIDC_CLIENTS.'),
  redirect_uri: text("One of the client's redirect_uris, exactly."),
  response_type: text('`code` (the only one).'),
  scope: text('`openid`, and optionally `profile`, `email`, `offline_access`.'),
  state: text('Echoed back.'),
  nonce: text('Put in the ID token.'),
  code_challenge: text('PKCE (RFC 7636): required of public clients.'),
  code_challenge_method: text('`S256` (the only one).'),
  prompt: text('`none`: answer `login_required` rather than show the sign-in page.'),
})

export const TokenForm = v.object({
  grant_type: text('`authorization_code` or `refresh_token`.'),
  code: text('The code from the authorization response.'),
  redirect_uri: text('The redirect_uri of the authorization request.'),
  code_verifier: text('PKCE verifier.'),
  refresh_token: text('A refresh token (rotated on use).'),
  client_id: text('The client (client_secret_post, or a public client).'),
  client_secret: text('client_secret_post.'),
})

export const TokenResponse = v.object({
  access_token: v.string(),
  token_type: v.literal('Bearer'),
  expires_in: v.number(),
  refresh_token: v.string(),
  id_token: v.string(),
  scope: v.string(),
})

export const RevokeForm = v.object({
  token: text('An access or refresh token.'),
  token_type_hint: text('`access_token` or `refresh_token` (not needed).'),
  client_id: text('client_secret_post, or a public client.'),
  client_secret: text('client_secret_post.'),
})

export const UserInfo = v.looseObject({
  sub: v.string(),
  preferred_username: v.optional(v.string()),
  name: v.optional(v.string()),
  picture: v.optional(v.string()),
  email: v.optional(v.string()),
  groups: v.optional(v.array(v.string())),
  plex_role: v.optional(v.string()),
})

export const Jwks = v.object({
  keys: v.array(v.looseObject({ kty: v.literal('RSA'), kid: v.string(), n: v.string(), e: v.string() })),
})

export const Discovery = v.looseObject({
  issuer: v.string(),
  authorization_endpoint: v.string(),
  token_endpoint: v.string(),
  userinfo_endpoint: v.string(),
  jwks_uri: v.string(),
  revocation_endpoint: v.string(),
  end_session_endpoint: v.string(),
  response_types_supported: v.array(v.string()),
  subject_types_supported: v.array(v.string()),
  id_token_signing_alg_values_supported: v.array(v.string()),
})

export const EndSessionQuery = v.object({
  id_token_hint: text("An ID token this provider issued (required: no sign-out by a stranger's link)."),
  post_logout_redirect_uri: text("One of the client's post_logout_redirect_uris."),
  client_id: text("The client (the hint's audience when absent)."),
  state: text('Echoed back.'),
})
