import type { PlexJwtClaims } from '@plex-auth/core'
import { ProblemError } from '../http/problem.ts'
import type { PlexClient } from '../plex/plex.ts'
import type { Session, SessionChanges } from './session-store.ts'
import { fromBase64 } from './token-crypto.ts'

/*
 * Plex JWT sessions (PLEX_TOKEN_KIND=jwt): a PIN sign-in creates an Ed25519 device key, plex.tv issues a
 * Plex JWT for it (7 days), and the worker renews the JWT itself with the key, which never leaves KV
 * (sealed with the session). There is no refresh token: the private key is the long-lived secret.
 */

/** Plex's advice: renew a Plex JWT once less than a day of it remains. */
const JWT_REFRESH_BEFORE_MS = 24 * 3600 * 1000
/**
 * A JWT with less than this left is renewed before the request goes on (it could expire on the way to
 * plex.tv); one with more is renewed in the background, after the answer.
 */
export const JWT_REFRESH_INLINE_BEFORE_MS = 60 * 1000

const decoder = new TextDecoder()

/**
 * When a Plex JWT expires (ms), read from its `exp` without verifying it: plex.tv just sent it over TLS,
 * and the worker only needs to know when to renew it. Claims are never trusted from here (see userFromClaims).
 * @example const expiresAt = jwtExpiresAt(authToken)
 */
export function jwtExpiresAt(token: string): number {
  const payload = fromBase64(token.split('.')[1] ?? '')
  let exp: unknown
  try {
    exp = payload && (JSON.parse(decoder.decode(payload)) as { exp?: unknown }).exp
  } catch {
    exp = undefined
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= 0)
    throw new ProblemError('upstream_invalid_response', 'Plex issued a token that is not a Plex JWT.')
  return exp * 1000
}

/** Whether a JWT session's token is due for renewal at `now`: less than a day left, or expired. */
export function jwtRefreshDue(session: Session, now: number): boolean {
  return session.jwt !== undefined && session.jwt.expiresAt - now < JWT_REFRESH_BEFORE_MS
}

/**
 * A new Plex JWT for the session's device key (GET /api/v2/auth/nonce, POST /api/v2/auth/token at
 * PLEX_CLIENTS_URL), as the session's changes. Throws the core's error: `unauthorized` (401, or 422
 * "signature verification failed") means plex.tv no longer knows the key, and the session is over.
 */
export async function renewJwt(plex: PlexClient, session: Session): Promise<SessionChanges> {
  if (!session.jwt) throw new Error('renewJwt: not a JWT session')
  const { token, expiresAt } = await plex.refreshPlexJwt({ deviceKey: session.jwt.deviceKey })
  return { plexToken: token, jwt: { deviceKey: session.jwt.deviceKey, expiresAt: Date.parse(expiresAt) } }
}

/**
 * The account as the verified claims of a Plex JWT describe it (`GET /v1/user?from=claims`): `id`,
 * `uuid`, `username`, `email`, `friendlyName` and `title` (the friendly name, else the username). A subset
 * of the account plex.tv answers: no `thumb`, subscription, Home or profile. Undefined when the token's
 * scope left out the username or email, so the caller asks plex.tv instead.
 */
export function userFromClaims(claims: PlexJwtClaims): Record<string, unknown> | undefined {
  const { id, uuid, username, email, friendly_name: friendlyName } = claims.user
  if (typeof username !== 'string' || typeof email !== 'string') return undefined
  return {
    id,
    uuid,
    username,
    email,
    title: friendlyName || username,
    ...(typeof friendlyName === 'string' ? { friendlyName } : {}),
  }
}
