/*
 * The keys that sign ID tokens (RS256, which OpenID Connect requires every provider to offer), through
 * jose: no hand-rolled JWT code. OIDC_SIGNING_KEYS lists private JWKs, the first signing and every one
 * published in the JWKS, so a rotation is: add the new key first, keep the old one published until the
 * tokens it signed have expired (OIDC_ACCESS_TOKEN_TTL_SECONDS), then drop it.
 *
 * Without OIDC_SIGNING_KEYS the worker makes a key on first use. Two isolates may do so at the same
 * moment, and KV cannot say which write came first; so each offers its key to one Durable Object
 * (OidcGrants, instance `signing-key`), which keeps the first it is offered and hands that one to every
 * later caller: all isolates converge on one key before any token is signed. The key is sealed (AES-GCM,
 * TOKEN_ENCRYPTION_KEY) in KV (`oidc:signing-key`, STORAGE.md) and in that object.
 */
import {
  calculateJwkThumbprint,
  compactVerify,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  SignJWT,
} from 'jose'
import type { OidcConfig } from '../config.ts'
import { ProblemError } from '../http/problem.ts'
import type { SessionStore } from '../sessions/session-store.ts'
import type { PrivateRsaJwk } from './settings.ts'

/** A key that signs (the first) or is published for verification during a rotation. */
export interface SigningKey {
  kid: string
  privateKey: CryptoKey
  /** The public half, as the JWKS publishes it. */
  publicJwk: JWK
}

/** Imports private RSA JWKs; a key that does not import is `misconfigured` naming the setting. */
export async function importSigningKeys(jwks: readonly PrivateRsaJwk[]): Promise<SigningKey[]> {
  try {
    return await Promise.all(jwks.map((jwk) => importSigningKey(jwk)))
  } catch {
    throw new ProblemError(
      'misconfigured',
      'The worker is misconfigured: invalid OIDC_SIGNING_KEYS (a key does not import as an RS256 private key).',
    )
  }
}

async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  const privateKey = (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as CryptoKey
  // Only the public fields, named one by one: no private field can reach the JWKS.
  const publicJwk: JWK = { kty: 'RSA', n: jwk.n, e: jwk.e }
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk))
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' } }
}

/** The generated key of each KV namespace, once this isolate has it. */
const generated = new WeakMap<KVNamespace, Promise<SigningKey[]>>()

/**
 * The signing keys: OIDC_SIGNING_KEYS, else the generated key (from KV, else agreed with the
 * `signing-key` Durable Object).
 */
export function signingKeysOf(oidc: OidcConfig, kv: KVNamespace, store: SessionStore): Promise<SigningKey[]> {
  if (oidc.signingKeys.length > 0) return Promise.resolve([...oidc.signingKeys])
  let keys = generated.get(kv)
  if (!keys) {
    keys = (async () => {
      const jwk = await store.oidcSigningKey({
        generate: async () => {
          const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
          return (await exportJWK(pair.privateKey)) as JsonWebKey
        },
        claim: (sealed, replacing) =>
          oidc.grants.get(oidc.grants.idFromName('signing-key')).claimSigningKey(sealed, replacing),
      })
      return [await importSigningKey(jwk as JWK)]
    })()
    // A failure is not remembered: the next request tries again.
    keys.catch(() => generated.delete(kv))
    generated.set(kv, keys)
  }
  return keys
}

/** Signs an ID token with the first key: RS256, its `kid` in the header. */
export function signIdToken(key: SigningKey, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey)
}

/**
 * The claims of an ID token this worker signed with one of `keys` (RS256 only: a token naming another
 * `alg`, such as HS256 keyed with the public key, is refused), from `issuer`. Expiry is not checked: an
 * `id_token_hint` at sign-out is often an old token.
 */
export async function verifiedIdToken(
  keys: readonly SigningKey[],
  token: string,
  issuer: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    const { payload } = await compactVerify(
      token,
      async (header) => {
        const key = keys.find((k) => k.kid === header.kid)
        if (!key || header.alg !== 'RS256') throw new Error('unknown key')
        return (await importJWK(key.publicJwk, 'RS256')) as CryptoKey
      },
      { algorithms: ['RS256'] },
    )
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>
    return claims && typeof claims === 'object' && claims.iss === issuer ? claims : undefined
  } catch {
    return undefined
  }
}
