import { compactVerify } from 'jose'
import * as v from 'valibot'
import { PlexError } from './errors.ts'
import { importEd25519, key32, type PlexDeviceKey, readDeviceKey } from './generate-device-key.ts'
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
  /** Not before: not among the claims Plex documents; checked when present. */
  nbf?: number
  nonce?: string
  /** The `kid` of the device key the token was issued to. */
  thumbprint?: string
  user: PlexJwtUser
  [key: string]: unknown
}

// Each numeric date a finite number (JSON's 1e999 parses to Infinity, a token that never expires).
const numericDate = v.pipe(v.number(), v.finite())

// The registered claims come first: the first issue then names the claim at fault.
const claimsSchema: v.GenericSchema<unknown, PlexJwtClaims> = v.looseObject({
  iss: v.literal('plex.tv'),
  aud: v.union([v.string(), v.array(v.string())]),
  iat: numericDate,
  exp: numericDate,
  nbf: v.optional(numericDate),
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
const REGISTERED_CLAIMS = new Set(['iss', 'aud', 'iat', 'exp', 'nbf'])

const jwksSchema: v.GenericSchema<unknown, PlexJwks> = v.looseObject({
  keys: v.array(v.looseObject({ kty: v.string(), kid: v.optional(v.string()) })),
})

/** Seconds of clock skew accepted on `exp`, `nbf` and `iat`. */
export const PLEX_JWT_CLOCK_TOLERANCE_SECONDS = 30
/** Plex JWTs are about 600 characters; a longer token is refused before it is decoded. */
const MAX_TOKEN_LENGTH = 8192
/** A cached JWKS is fetched again after this long (a key plex.tv withdrew stops verifying). */
const JWKS_MAX_AGE_MS = 10 * 60 * 1000
/** A token naming an unknown `kid` refetches the JWKS at most this often: a forged kid costs one fetch. */
const JWKS_REFETCH_COOLDOWN_MS = 30 * 1000

/** The key of a set that verifies a token naming `kid`. */
type KeyForKid = (kid: string | undefined) => Promise<CryptoKey>

interface CachedJwks {
  keyFor: KeyForKid
  kids: Set<string | undefined>
  fetchedAt: number
}

/** Per clientsUrl: plex.tv's keys, the running fetch, and when a fetch was last started. */
const cache = new Map<string, CachedJwks>()
const inFlight = new Map<string, Promise<CachedJwks>>()
const attemptedAt = new Map<string, number>()
/** Key sets made from a caller's `jwks`, so that each key is imported once. */
const callerKeySets = new WeakMap<PlexJwks, KeyForKid>()

/** Forgets every cached JWKS (tests, or after changing where plex.tv is). */
export function clearPlexJwksCache(): void {
  cache.clear()
  inFlight.clear()
  attemptedAt.clear()
}

function invalidToken(reason: string): PlexError {
  return new PlexError('invalid_token', `verifyPlexJwt: ${reason}`)
}

/**
 * A key of the set that can verify EdDSA, as jose's createLocalJWKSet picks them: an Ed25519 public key
 * whose `alg`, `use` and `key_ops`, when present, allow verifying EdDSA signatures, and whose `x` is 32
 * bytes of canonical base64url (key32), so every runtime reads the set alike.
 */
const ed25519VerifyingKey = v.looseObject({
  kty: v.literal('OKP'),
  crv: v.literal('Ed25519'),
  x: key32,
  alg: v.optional(v.literal('EdDSA')),
  use: v.optional(v.literal('sig')),
  key_ops: v.optional(v.pipe(v.array(v.string()), v.includes('verify'))),
})

/**
 * The key of `jwks` for a token naming `kid` (any key when it names none): exactly one usable key must
 * match, else no key signed it (two keys under one kid are ambiguous, never tried in turn). Each key is
 * imported once, by WebCrypto; a key WebCrypto refuses fails the token, not the set.
 */
function keySetOf(jwks: PlexJwks): KeyForKid {
  const usable = jwks.keys.filter((key) => v.is(ed25519VerifyingKey, key))
  const imported = new Map<object, Promise<CryptoKey>>()
  return async (kid) => {
    const candidates = usable.filter((key) => kid === undefined || key.kid === kid)
    const jwk = candidates[0]
    if (jwk === undefined || candidates.length > 1) throw invalidToken('no key of plex.tv signed this token')
    let key = imported.get(jwk)
    if (key === undefined) {
      // A set publishes public keys; a private one there is a mistake nobody should build on.
      key =
        'd' in jwk
          ? Promise.reject(new TypeError('not a public key'))
          : importEd25519(jwk as { x?: unknown }, 'verify')
      imported.set(jwk, key)
      key.catch(() => imported.delete(jwk))
    }
    try {
      return await key
    } catch {
      throw invalidToken('the token does not verify')
    }
  }
}

/** What failed, from jose's error codes; never the token, never jose's error. */
function reasonOf(error: unknown): string {
  switch ((error as { code?: unknown } | null)?.code) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the token is not signed with EdDSA'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the signature does not verify'
    case 'ERR_JWS_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      // Not three base64url parts, a header that is not JSON, no `alg`, an unknown `crit` extension.
      return 'the token is not a valid JWT'
    default:
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
    const entry: CachedJwks = {
      keyFor: keySetOf(jwks),
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
): Promise<KeyForKid> {
  const base = resolveBaseUrl(options.clientsUrl ?? DEFAULT_CLIENTS_URL, 'clientsUrl')
  const cached = cache.get(base)
  if (cached === undefined) return (await fetchJwks(options, base)).keyFor
  const now = Date.now()
  const known = kid === undefined || cached.kids.has(kid)
  if (known && now - cached.fetchedAt < JWKS_MAX_AGE_MS) return cached.keyFor
  if (!known && now - (attemptedAt.get(base) ?? 0) < JWKS_REFETCH_COOLDOWN_MS) return cached.keyFor
  try {
    return (await fetchJwks(options, base)).keyFor
  } catch (error) {
    if (known) return cached.keyFor
    throw error
  }
}

/** The caller's `jwks` as a key set, checked (`invalid_input`) and copied once per object. */
function callerKeySet(jwks: PlexJwks): KeyForKid {
  let keySet = callerKeySets.get(jwks)
  if (keySet === undefined) {
    const result = v.safeParse(jwksSchema, jwks)
    if (!result.success) throw invalidInput('jwks is not a JSON Web Key Set')
    keySet = keySetOf(result.output)
    callerKeySets.set(jwks, keySet)
  }
  return keySet
}

/**
 * The claims of a payload whose signature verified: the schema (`iss` plex.tv, `aud`, `iat` and `exp`
 * numbers, a `user`), then `aud` naming the client, `nbf` and `exp` against the clock, `iat` not in the
 * future, each with {@link PLEX_JWT_CLOCK_TOLERANCE_SECONDS} of skew.
 */
function checkedClaims(payload: Uint8Array, clientIdentifier: string | undefined): PlexJwtClaims {
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder().decode(payload))
  } catch {
    throw invalidToken('the claims are not those of a Plex JWT')
  }
  // valibot takes an array for an object; a JWT's claims are a JSON object (RFC 7519 §7.2).
  if (Array.isArray(json)) throw invalidToken('the claims are not those of a Plex JWT')
  const result = v.safeParse(claimsSchema, json)
  if (!result.success) {
    const claim = v.getDotPath(result.issues[0])
    throw invalidToken(
      claim !== null && REGISTERED_CLAIMS.has(claim)
        ? `the ${claim} claim is not valid`
        : 'the claims are not those of a Plex JWT',
    )
  }
  const claims = result.output
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud
  if (clientIdentifier !== undefined && !audiences.includes(clientIdentifier)) {
    throw invalidToken('the aud claim is not valid')
  }
  const now = Date.now() / 1000
  const tolerance = PLEX_JWT_CLOCK_TOLERANCE_SECONDS
  if (claims.nbf !== undefined && claims.nbf > now + tolerance) {
    throw invalidToken('the nbf claim is not valid')
  }
  if (claims.exp <= now - tolerance) throw invalidToken('the token has expired')
  // A token issued in the future is not one plex.tv issued.
  if (claims.iat > now + tolerance) throw invalidToken('the token is issued in the future')
  return claims
}

/**
 * Verifies a Plex JWT locally: EdDSA only, a signature by one of plex.tv's keys (`GET {clientsUrl}/api/v2/
 * auth/keys`, cached in memory per clientsUrl, fetched again for an unknown `kid` at most every 30 s),
 * `iss` plex.tv, `aud` containing the client identifier, `exp`, `nbf` and `iat` (30 s of clock skew), and
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
  const callerKeys = options.jwks === undefined ? undefined : callerKeySet(options.jwks)
  if (token.length > MAX_TOKEN_LENGTH) throw invalidToken('the token is too long to be a Plex JWT')
  let payload: Uint8Array
  try {
    // jose checks the JWS and refuses every `alg` but EdDSA before asking for a key: `none`, HS256 keyed
    // with the public key and friends never cost a request. It hands over the protected header first.
    ;({ payload } = await compactVerify(
      token,
      async (header) => {
        const { kid } = header
        if ((kid !== undefined && typeof kid !== 'string') || header.b64 === false) {
          throw invalidToken('the token is not a valid JWT')
        }
        const keyFor = callerKeys ?? (await plexKeySet(options, kid))
        return keyFor(kid)
      },
      { algorithms: ['EdDSA'] },
    ))
  } catch (error) {
    // Ours (no key, a refused key) and a failure to fetch plex.tv's keys keep their own code and reason.
    throw error instanceof PlexError ? error : invalidToken(reasonOf(error))
  }
  const claims = checkedClaims(payload, clientIdentifier)
  if (deviceKey !== undefined && claims.thumbprint !== deviceKey.kid) {
    throw invalidToken('the token was issued to another device key')
  }
  return claims
}
