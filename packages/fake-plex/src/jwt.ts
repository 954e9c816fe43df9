/** Plex JWT device authentication as plex.tv plays it: keys, device JWTs, Plex JWTs. jose on WebCrypto. */
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose'
import type { PlexTvErrorDef } from './plex-errors.ts'
import { PLEX_TV_ERRORS } from './plex-errors.ts'

/** A Plex JWT lives 7 days. */
export const PLEX_JWT_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000
/** A nonce from /api/v2/auth/nonce is good for one refresh within 5 minutes. */
export const NONCE_LIFETIME_MS = 5 * 60 * 1000
/**
 * Longest device JWT the fake takes: `exp` at most `iat` + 3600. Plex's documentation signs its example
 * for an hour; the "5 minutes" it mentions is the nonce's life, and a 24-hour device JWT has been seen
 * accepted (forums.plex.tv/t/937061). The fake keeps the documented hour.
 */
export const DEVICE_JWT_MAX_LIFETIME_SECONDS = 3600
/** Clock skew the fake accepts on a device JWT's `iat` and `exp`. */
const CLOCK_TOLERANCE_SECONDS = 30

/** An Ed25519 public key as a JWK. */
export interface PublicJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  kid?: string
}

/** One of the fake plex.tv's own signing keys. */
export interface SigningKey {
  kid: string
  publicJwk: PublicJwk
  privateJwk: PublicJwk & { d: string }
}

/**
 * The fake's default signing key: fixed, so that every fake (and every test) publishes the same JWKS, as
 * plex.tv does for all its clients. It signs nothing real. `fake.rotateSigningKey()` makes a new one.
 */
export const DEFAULT_SIGNING_KEY: SigningKey = {
  kid: 'IL5hHzl7yHVihBiTay-ANHYfxN_NwkWFIVc1wierCJA',
  publicJwk: { kty: 'OKP', crv: 'Ed25519', x: 'ioumIetnKcXn_nKyO3q5PzJLo5-ghCneo0ALPShXmKQ' },
  privateJwk: {
    kty: 'OKP',
    crv: 'Ed25519',
    x: 'ioumIetnKcXn_nKyO3q5PzJLo5-ghCneo0ALPShXmKQ',
    d: 'A6pkywfK0pl4JMMTXf0gSrVNQSwN3CN3P8fMXtLOR4E',
  },
}

/** A new signing key with its RFC 7638 thumbprint as kid. */
export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const jwk = await exportJWK(privateKey)
  const publicJwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) }
  return {
    kid: await thumbprintOf(publicJwk),
    publicJwk,
    privateJwk: { ...publicJwk, d: String(jwk.d) },
  }
}

/** The JWKS entry of a signing key, as GET /api/v2/auth/keys lists it. */
export function publishedJwk(key: SigningKey): Record<string, string> {
  return { ...key.publicJwk, kid: key.kid, alg: 'EdDSA', use: 'sig' }
}

/** `value` as an Ed25519 public JWK (`kid` kept when it is a string), or undefined. */
export function parsePublicJwk(value: unknown): PublicJwk | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const { kty, crv, x, kid, d } = value as Record<string, unknown>
  // A private key sent to plex.tv is refused: it must never leave the device.
  if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string' || d !== undefined) return undefined
  if (!/^[\w-]{43}$/.test(x)) return undefined
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) return undefined
  return { kty, crv, x, ...(kid === undefined ? {} : { kid }) }
}

/** RFC 7638 thumbprint of a public JWK (kid excluded, as the RFC says). */
export function thumbprintOf(jwk: PublicJwk): Promise<string> {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x })
}

/** The `kid` of a JWT's header, or undefined when the JWT cannot be read. */
export function headerKid(jwt: string): { kid?: string } | undefined {
  try {
    const header = decodeProtectedHeader(jwt)
    return { ...(typeof header.kid === 'string' ? { kid: header.kid } : {}) }
  } catch {
    return undefined
  }
}

export type DeviceJwtCheck = { ok: true; payload: JWTPayload } | { ok: false; error: PlexTvErrorDef }

/**
 * Checks a device JWT as plex.tv does: EdDSA signature by the device's registered key, `aud` plex.tv,
 * `iss` the calling client identifier, `iat`/`exp` on the fake's clock, `exp` at most an hour after `iat`.
 * A signature that fails is 422 "Signature verification failed"; so is any other failure of the JWT (the
 * fake does not invent a finer distinction Plex does not document). An unreadable JWT is 400.
 */
export async function checkDeviceJwt(
  jwt: string,
  jwk: PublicJwk,
  clientIdentifier: string,
  now: number,
): Promise<DeviceJwtCheck> {
  if (headerKid(jwt) === undefined) return { ok: false, error: PLEX_TV_ERRORS.invalidJwt }
  try {
    const key = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'EdDSA')
    const { payload } = await jwtVerify(jwt, key, {
      algorithms: ['EdDSA'],
      audience: 'plex.tv',
      issuer: clientIdentifier,
      requiredClaims: ['iat', 'exp'],
      currentDate: new Date(now),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    })
    const iat = payload.iat ?? 0
    const exp = payload.exp ?? 0
    if (exp - iat > DEVICE_JWT_MAX_LIFETIME_SECONDS || iat > now / 1000 + CLOCK_TOLERANCE_SECONDS) {
      return { ok: false, error: PLEX_TV_ERRORS.signatureVerificationFailed }
    }
    return { ok: true, payload }
  } catch {
    return { ok: false, error: PLEX_TV_ERRORS.signatureVerificationFailed }
  }
}

/** What a Plex JWT says about its user, by scope (claims, not permissions). */
export interface PlexJwtUserFacts {
  id: number
  uuid: string
  username: string
  email: string
  friendly_name: string
  restricted: boolean
  anonymous: boolean
  joinedAt: number
}

const SCOPES = ['username', 'email', 'friendly_name', 'restricted', 'anonymous', 'joinedAt'] as const

/** Signs a Plex JWT with the fake's key: the claims plex-api.md lists. */
export async function signPlexJwt(
  key: SigningKey,
  claims: {
    clientIdentifier: string
    thumbprint: string
    nonce: string
    scope: string
    user: PlexJwtUserFacts
    now: number
  },
): Promise<string> {
  const wanted = new Set(claims.scope.split(',').map((scope) => scope.trim()))
  const user: Record<string, unknown> = { id: claims.user.id, uuid: claims.user.uuid }
  for (const scope of SCOPES) if (wanted.has(scope)) user[scope] = claims.user[scope]
  const iat = Math.floor(claims.now / 1000)
  return new SignJWT({
    iss: 'plex.tv',
    // Quirk: `aud` names plex.tv and the device (@ctrl/plex test/jwt.spec.ts).
    aud: ['plex.tv', claims.clientIdentifier],
    iat,
    exp: iat + PLEX_JWT_LIFETIME_MS / 1000,
    nonce: claims.nonce,
    thumbprint: claims.thumbprint,
    user,
  })
    .setProtectedHeader({ kid: key.kid, alg: 'EdDSA', typ: 'JWT' })
    .sign(await importJWK(key.privateJwk, 'EdDSA'))
}
