/*
 * oidc/: the worker as an OpenID Connect provider, "Sign in with Plex" for any app that takes a generic
 * OIDC provider (Grafana, oauth2-proxy, Cloudflare Access, …). Its routes are in ../routes/oidc-*.ts.
 *
 *   settings.ts  OIDC_CLIENTS, OIDC_SIGNING_KEYS, OIDC_ISSUER and the lifetimes, as config.ts entries
 *   clients.ts   who is asking: client_secret_basic / client_secret_post, constant-time compare
 *   keys.ts      RS256 signing keys (configured, or generated once and agreed on), ID tokens, id_token_hint
 *   grants.ts    OidcGrants, a Durable Object per worker session: single-use codes, rotating refresh tokens
 *   provider.ts  issuer and endpoints, token format, the session behind a grant, the token response
 *   claims.ts    the user's claims by scope, `groups` / `plex_role` from the access policy
 *   schemas.ts   requests and answers (OpenAPI, tests)
 *   errors.ts    OAuth JSON errors, the error page, redirects back to the client (with `iss`)
 *   form.ts      the form of a back-channel request
 *
 * Tokens live only as long as the worker session they were issued in: every use asks that session's
 * lineage whether it is alive (see the root README, "Sign in with Plex for any app").
 */
export { OidcGrants } from './grants.ts'
