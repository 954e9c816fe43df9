/*
 * The provider's moving parts shared by its routes: its issuer and endpoints, the grants of a session,
 * the tokens it issues, and the session behind a grant.
 */
import type { Context } from 'hono'
import { roleNow } from '../access/access.ts'
import type { OidcConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { ProblemError } from '../http/problem.ts'
import { adoptSession } from '../sessions/session.ts'
import type { LiveSession } from '../sessions/session-store.ts'
import { randomToken, sha256, toBase64url } from '../sessions/token-crypto.ts'
import { claimsOf } from './claims.ts'
import type { Family, Issued } from './grants.ts'
import { signIdToken, signingKeysOf } from './keys.ts'

/** Where each endpoint is, under the issuer. */
export const OIDC_PATHS = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/v1/oidc/jwks',
  authorize: '/v1/oidc/authorize',
  token: '/v1/oidc/token',
  userinfo: '/v1/oidc/userinfo',
  revoke: '/v1/oidc/revoke',
  endSession: '/v1/oidc/end-session',
} as const

/** The OIDC settings, or 404 when OIDC_CLIENTS is unset (the provider is off). */
export function oidcOf(c: Context<AppEnv>): OidcConfig {
  const oidc = c.var.config.oidc
  if (!oidc) throw new ProblemError('not_found', 'There is nothing at this path.')
  return oidc
}

/** OIDC_ISSUER, else the origin the request came to. */
export function issuerOf(c: Context<AppEnv>, oidc: OidcConfig): string {
  return oidc.issuer ?? new URL(c.req.url).origin
}

/**
 * Codes and tokens are `<session id>.<256 random bits>`: the session id (public, random) names the
 * Durable Object that holds their hashes, so each is found with one call and no index.
 */
const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/

/** The grants object of a session. */
export function grantsOf(oidc: OidcConfig, sessionId: string) {
  return oidc.grants.get(oidc.grants.idFromName(`session:${sessionId}`))
}

/** A new code or token for a session, and its hash (what is stored). */
export async function newToken(sessionId: string): Promise<{ token: string; hash: string }> {
  const token = `${sessionId}.${randomToken()}`
  return { token, hash: await sha256(token) }
}

/** The session id a code or token names, and its hash; undefined when it is not one of ours. */
export async function parseToken(
  token: string | undefined,
): Promise<{ sessionId: string; hash: string } | undefined> {
  const sessionId = token === undefined ? undefined : TOKEN.exec(token)?.[1]
  return sessionId === undefined ? undefined : { sessionId, hash: await sha256(token as string) }
}

/** PKCE S256 (RFC 7636): base64url(sha256(verifier)). */
export async function s256(verifier: string): Promise<string> {
  return toBase64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  )
}

/** Fresh tokens for a grant: their values, and what the grants object stores of them. */
export async function newTokens(c: Context<AppEnv>, oidc: OidcConfig, sessionId: string) {
  const now = c.var.now()
  const access = await newToken(sessionId)
  const refresh = await newToken(sessionId)
  const issued: Issued = {
    familyId: crypto.randomUUID(),
    accessHash: access.hash,
    refreshHash: refresh.hash,
    accessExpiresAt: now + oidc.accessTokenTtlSeconds * 1000,
    // Capped at the session's expiry by the grants object: a refresh token never outlives its session.
    refreshExpiresAt: now + oidc.refreshTokenTtlSeconds * 1000,
  }
  return { access: access.token, refresh: refresh.token, issued }
}

/**
 * The session a grant was made in, made the request's, while it is alive (its lineage lists it) and its
 * user still passes the access policy; undefined otherwise. So a grant dies with its session: sign-out,
 * sign-out everywhere, the session's expiry or a lost access end every token it issued.
 */
export async function sessionOfGrant(
  c: Context<AppEnv>,
  sessionId: string,
  family: Pick<Family, 'sessionHash'>,
): Promise<LiveSession | undefined> {
  const { store, lineage } = c.var
  const stored = await store.getSessionByHash(family.sessionHash)
  if (!stored || stored.id !== sessionId || stored.accountUuid === undefined) return undefined
  const session = { ...(await store.withState(stored)), id: sessionId, accountUuid: stored.accountUuid }
  if (!(await lineage.alive(session))) return undefined
  try {
    await adoptSession(c, session)
  } catch (error) {
    if (error instanceof ProblemError && error.code === 'not_a_member') return undefined
    throw error
  }
  // The policy as configured now: a server or role taken out of it counts at once.
  return roleNow(c.var.config, c.var.session) === undefined ? undefined : c.var.session
}

/** The token endpoint's answer: an ID token for the client, an access token and a refresh token. */
export async function tokenResponse(
  c: Context<AppEnv>,
  oidc: OidcConfig,
  family: Family,
  tokens: { access: string; refresh: string },
): Promise<Response | undefined> {
  const session = c.var.session
  const claims = claimsOf(session, family.scope, roleNow(c.var.config, session))
  if (!claims) return undefined
  const now = Math.floor(c.var.now() / 1000)
  const [key] = await signingKeysOf(oidc, c.var.config.kv, c.var.store)
  const idToken = await signIdToken(key!, {
    ...claims,
    iss: issuerOf(c, oidc),
    aud: family.clientId,
    iat: now,
    exp: now + oidc.accessTokenTtlSeconds,
    auth_time: family.authTime,
    ...(family.nonce !== undefined ? { nonce: family.nonce } : {}),
  })
  return new Response(
    JSON.stringify({
      access_token: tokens.access,
      token_type: 'Bearer',
      expires_in: oidc.accessTokenTtlSeconds,
      refresh_token: tokens.refresh,
      id_token: idToken,
      scope: family.scope,
    }),
    {
      status: 200,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    },
  )
}
