import { base64url } from 'jose'
import * as v from 'valibot'
import { PlexError } from './errors.ts'
import { type PlexDeviceKey, readDeviceKey } from './generate-device-key.ts'
import { type PlexExchange, plexRequest, readJson } from './http.ts'
import {
  DEFAULT_CLIENTS_URL,
  invalidInput,
  type PlexCallOptions,
  type PlexClientOptions,
  resolveBaseUrl,
} from './options.ts'
import { signDeviceJwt } from './sign-device-jwt.ts'

/** What {@link refreshPlexJwt} takes besides the client options. */
export interface RefreshPlexJwtParams extends PlexCallOptions {
  /** The device's key, registered by a PIN with a key or by {@link registerDeviceKey}. */
  deviceKey: PlexDeviceKey
  /**
   * The claims wanted in the JWT's `user`, comma-separated (these are claims, not permissions):
   * username, email, friendly_name, restricted, anonymous, joinedAt. Default {@link DEFAULT_PLEX_JWT_SCOPE}.
   */
  scope?: string
}

/** The scope {@link refreshPlexJwt} asks for unless told otherwise. */
export const DEFAULT_PLEX_JWT_SCOPE = 'username,email,friendly_name'

/** A Plex JWT and when it expires. */
export interface RefreshedPlexJwt {
  /** The Plex JWT: send it as X-Plex-Token to plex.tv. */
  token: string
  /** ISO 8601, from the JWT's `exp` (7 days after issue), like a PIN's `expiresAt`. */
  expiresAt: string
}

const nonceSchema = v.looseObject({ nonce: v.pipe(v.string(), v.nonEmpty()) })
// Quirk: the one snake_case field of Plex's JSON API.
const tokenSchema = v.looseObject({ auth_token: v.pipe(v.string(), v.nonEmpty()) })
// Seconds that a Date can hold (±8.64e15 ms): a larger exp would crash toISOString.
const expiringClaims = v.looseObject({ exp: v.pipe(v.number(), v.minValue(0), v.maxValue(8.64e12)) })

/**
 * A new Plex JWT for a device key (GET {clientsUrl}/api/v2/auth/nonce, then POST /api/v2/auth/token with a
 * device JWT carrying the nonce). Works at any time, also after the last JWT expired: refresh when less than
 * a day remains. The nonce GET is retried like any GET; the POST never is.
 *
 * @example
 * const { token, expiresAt } = await refreshPlexJwt({ clientIdentifier: 'my-app-install-1', deviceKey })
 */
export async function refreshPlexJwt(
  options: PlexClientOptions & RefreshPlexJwtParams,
): Promise<RefreshedPlexJwt> {
  const scope = options.scope ?? DEFAULT_PLEX_JWT_SCOPE
  if (typeof scope !== 'string' || scope.trim() === '') throw invalidInput('scope must not be empty')
  const base = resolveBaseUrl(options.clientsUrl ?? DEFAULT_CLIENTS_URL, 'clientsUrl')
  // A bad key fails before any request is made; so does a missing client identifier (plexRequest).
  const deviceKey = readDeviceKey(options.deviceKey)
  const { nonce } = readJson(
    await plexRequest(options, { method: 'GET', url: `${base}/api/v2/auth/nonce` }),
    nonceSchema,
  )
  const deviceJwt = await signDeviceJwt({
    clientIdentifier: options.clientIdentifier,
    deviceKey,
    nonce,
    scope,
  })
  const exchange = await plexRequest(options, {
    method: 'POST',
    url: `${base}/api/v2/auth/token`,
    json: { jwt: deviceJwt },
    secrets: [deviceJwt],
  })
  const token = readJson(exchange, tokenSchema).auth_token
  return { token, expiresAt: expiresAtOf(token, exchange) }
}

/**
 * The `exp` of a JWT plex.tv just sent us over TLS, read without verifying the signature: it only tells
 * the caller when to refresh. Verify the token itself with verifyPlexJwt before trusting its claims.
 */
function expiresAtOf(token: string, { response, label }: PlexExchange): string {
  // The payload of a compact JWS (header.payload.signature): base64url JSON, parsed by a schema. jose's
  // decodeJwt does the same for one more check we do not need here (a JWE's five parts).
  const parts = token.split('.')
  let claims: unknown
  try {
    claims =
      parts.length === 3 ? JSON.parse(new TextDecoder().decode(base64url.decode(parts[1]!))) : undefined
  } catch {
    claims = undefined
  }
  const result = v.safeParse(expiringClaims, claims)
  if (!result.success) {
    throw new PlexError('invalid_response', `${label}: auth_token is not a JWT with an exp`, {
      status: response.status,
      response,
    })
  }
  return new Date(result.output.exp * 1000).toISOString()
}
