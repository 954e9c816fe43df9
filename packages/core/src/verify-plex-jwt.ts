import {
  createLocalJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose'
import * as v from 'valibot'
import { PlexError } from './errors.ts'
import { type PlexDeviceKey, readDeviceKey } from './generate-device-key.ts'
import { plexRequest, readJson } from './http.ts'
import {
  DEFAULT_CLIENTS_URL,
  invalidInput,
  type PlexCallOptions,
  type PlexClientOptions,
  resolveBaseUrl,
} from './options.ts'

/** A JSON Web Key Set, as `GET {clientsUrl}/api/v2/auth/keys` answers it. */
export interface PlexJwks {
  keys: { kty: string; kid?: string; [key: string]: unknown }[]
}

/** The client options {@link verifyPlexJwt} takes: `clientIdentifier` is optional there. */
export type PlexJwtVerifierOptions = Omit<PlexClientOptions, 'clientIdentifier'> & {
  /** The audience the token must name; without it, `aud` is not checked (and the JWKS cannot be fetched). */
  clientIdentifier?: string
}

/** What {@link verifyPlexJwt} takes besides the client options. */
export interface VerifyPlexJwtParams extends PlexCallOptions {
  /** The Plex JWT. */
  token?: string
  /** The device the token must have been issued to: its `thumbprint` claim must be this key's `kid`. */
  deviceKey?: PlexDeviceKey
  /** Keys to verify with instead of plex.tv's (fetched from `/auth/keys` and cached in memory). */
  jwks?: PlexJwks
}

/** The `user` claim of a Plex JWT; which optional fields are present depends on the `scope` asked for. */
export interface PlexJwtUser {
  id: number
  uuid: string
  username?: string | null
  email?: string | null
  friendly_name?: string | null
  restricted?: boolean | null
  anonymous?: boolean | null
  joinedAt?: number | null
  [key: string]: unknown
}

/** The verified claims of a Plex JWT. Unknown claims are kept. */
export interface PlexJwtClaims {
  iss: string
  aud: string | string[]
  iat: number
  exp: number
  nonce?: string
  /** The `kid` of the device key the token was issued to. */
  thumbprint?: string
  user: PlexJwtUser
  [key: string]: unknown
}

const claimsSchema: v.GenericSchema<unknown, PlexJwtClaims> = v.looseObject({
  iss: v.string(),
  aud: v.union([v.string(), v.array(v.string())]),
  iat: v.number(),
  exp: v.number(),
  nonce: v.optional(v.string()),
  thumbprint: v.optional(v.string()),
  user: v.looseObject({
    id: v.number(),
    uuid: v.string(),
    username: v.nullish(v.string()),
    email: v.nullish(v.string()),
    friendly_name: v.nullish(v.string()),
    restricted: v.nullish(v.boolean()),
    anonymous: v.nullish(v.boolean()),
    joinedAt: v.nullish(v.number()),
  }),
})

const jwksSchema: v.GenericSchema<unknown, PlexJwks> = v.looseObject({
  keys: v.array(v.looseObject({ kty: v.string(), kid: v.optional(v.string()) })),
})

/** Seconds of clock skew accepted on `exp` and `iat`. */
export const PLEX_JWT_CLOCK_TOLERANCE_SECONDS = 30
/** A cached JWKS is fetched again after this long (a key plex.tv withdrew stops verifying). */
const JWKS_MAX_AGE_MS = 10 * 60 * 1000
/** A token naming an unknown `kid` refetches the JWKS at most this often: a forged kid costs one fetch. */
const JWKS_REFETCH_COOLDOWN_MS = 30 * 1000

interface CachedJwks {
  keySet: JWTVerifyGetKey
  kids: Set<string | undefined>
  fetchedAt: number
}

/** Per clientsUrl: plex.tv's keys, the running fetch, and when a fetch was last started. */
const cache = new Map<string, CachedJwks>()
const inFlight = new Map<string, Promise<CachedJwks>>()
const attemptedAt = new Map<string, number>()
/** Key sets made from a caller's `jwks`, so that each key is imported once. */
const callerKeySets = new WeakMap<PlexJwks, JWTVerifyGetKey>()

/** Forgets every cached JWKS (tests, or after changing where plex.tv is). */
export function clearPlexJwksCache(): void {
  cache.clear()
  inFlight.clear()
  attemptedAt.clear()
}

function invalidToken(reason: string): PlexError {
  return new PlexError('invalid_token', `verifyPlexJwt: ${reason}`)
}

/** What failed, from jose's error codes; never the token, never jose's error (it carries the claims). */
function reasonOf(error: unknown): string {
  const { code, claim } = (error ?? {}) as { code?: unknown; claim?: unknown }
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `the ${typeof claim === 'string' ? claim : 'claims'} claim is not valid`
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the signature does not verify'
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'no key of plex.tv signed this token'
    default:
      // A malformed JWS, or a key of the set that WebCrypto refuses. (A non-EdDSA alg was refused earlier.)
      return 'the token does not verify'
  }
}

function fetchJwks(options: PlexJwtVerifierOptions & PlexCallOptions, base: string): Promise<CachedJwks> {
  const running = inFlight.get(base)
  if (running) return running
  attemptedAt.set(base, Date.now())
  const fetching = (async (): Promise<CachedJwks> => {
    const exchange = await plexRequest(options as PlexClientOptions, {
      method: 'GET',
      url: `${base}/api/v2/auth/keys`,
    })
    const jwks = readJson(exchange, jwksSchema)
    // The schema checked all createLocalJWKSet checks (an array of objects); each key is judged when used.
    const keySet = createLocalJWKSet(jwks as JSONWebKeySet)
    const entry: CachedJwks = {
      keySet,
      kids: new Set(jwks.keys.map((key) => key.kid)),
      fetchedAt: Date.now(),
    }
    if (cache.size >= 16) cache.clear()
    cache.set(base, entry)
    return entry
  })()
  inFlight.set(base, fetching)
  const forget = (): void => {
    inFlight.delete(base)
  }
  fetching.then(forget, forget)
  return fetching
}

/**
 * plex.tv's keys for a token naming `kid`: the cached set while it is fresh and knows `kid`; else a
 * refetch, at most once per cooldown for an unknown `kid`. A failed refetch of a set that knows `kid`
 * keeps the cached set: a plex.tv outage must not stop local verification.
 */
async function plexKeySet(
  options: PlexJwtVerifierOptions & PlexCallOptions,
  kid: string | undefined,
): Promise<JWTVerifyGetKey> {
  const base = resolveBaseUrl(options.clientsUrl ?? DEFAULT_CLIENTS_URL, 'clientsUrl')
  const cached = cache.get(base)
  if (cached === undefined) return (await fetchJwks(options, base)).keySet
  const now = Date.now()
  const known = kid === undefined || cached.kids.has(kid)
  if (known && now - cached.fetchedAt < JWKS_MAX_AGE_MS) return cached.keySet
  if (!known && now - (attemptedAt.get(base) ?? 0) < JWKS_REFETCH_COOLDOWN_MS) return cached.keySet
  try {
    return (await fetchJwks(options, base)).keySet
  } catch (error) {
    if (known) return cached.keySet
    throw error
  }
}

function callerKeySet(jwks: PlexJwks): JWTVerifyGetKey {
  let keySet = callerKeySets.get(jwks)
  if (keySet === undefined) {
    try {
      keySet = createLocalJWKSet(jwks as JSONWebKeySet)
    } catch {
      throw invalidInput('jwks is not a JSON Web Key Set')
    }
    callerKeySets.set(jwks, keySet)
  }
  return keySet
}

/**
 * Verifies a Plex JWT locally: EdDSA only, a signature by one of plex.tv's keys (`GET {clientsUrl}/api/v2/
 * auth/keys`, cached in memory per clientsUrl, fetched again for an unknown `kid` at most every 30 s),
 * `iss` plex.tv, `aud` containing the client identifier, `exp` and `iat` (30 s of clock skew), and
 * `thumbprint` equal to the device key's `kid` when a `deviceKey` is given. Any failure is `invalid_token`;
 * a failure to fetch the keys keeps its own code (`network_error`, ...), since it says nothing about the
 * token. Microseconds with cached keys, where asking plex.tv takes a round trip.
 *
 * @example
 * const claims = await verifyPlexJwt({ clientIdentifier: 'my-app-install-1', token: jwt, deviceKey })
 * claims.user.uuid
 */
export async function verifyPlexJwt(
  options: PlexJwtVerifierOptions & VerifyPlexJwtParams,
): Promise<PlexJwtClaims> {
  const { token, clientIdentifier } = options
  if (typeof token !== 'string' || token === '') throw invalidInput('a Plex JWT is required')
  if (clientIdentifier !== undefined && (typeof clientIdentifier !== 'string' || clientIdentifier === '')) {
    throw invalidInput('clientIdentifier must not be empty')
  }
  const deviceKey = options.deviceKey === undefined ? undefined : readDeviceKey(options.deviceKey)
  let kid: string | undefined
  try {
    const header = decodeProtectedHeader(token)
    // Checked before the keys are fetched: `none`, HS256 and friends never cost a request.
    if (header.alg !== 'EdDSA') throw invalidToken('the token is not signed with EdDSA')
    kid = header.kid
  } catch (error) {
    throw error instanceof PlexError ? error : invalidToken('the token is not a valid JWT')
  }
  const keySet = options.jwks === undefined ? await plexKeySet(options, kid) : callerKeySet(options.jwks)
  let payload: unknown
  try {
    ;({ payload } = await jwtVerify(token, keySet, {
      algorithms: ['EdDSA'],
      issuer: 'plex.tv',
      ...(clientIdentifier === undefined ? {} : { audience: clientIdentifier }),
      requiredClaims: ['iat', 'exp'],
      clockTolerance: PLEX_JWT_CLOCK_TOLERANCE_SECONDS,
    }))
  } catch (error) {
    throw invalidToken(reasonOf(error))
  }
  const result = v.safeParse(claimsSchema, payload)
  if (!result.success) throw invalidToken('the claims are not those of a Plex JWT')
  const claims = result.output
  // jose checks `iat` only against a maximum age; a token issued in the future is not one plex.tv issued.
  if (claims.iat > Date.now() / 1000 + PLEX_JWT_CLOCK_TOLERANCE_SECONDS) {
    throw invalidToken('the token is issued in the future')
  }
  if (deviceKey !== undefined && claims.thumbprint !== deviceKey.kid) {
    throw invalidToken('the token was issued to another device key')
  }
  return claims
}
