/*
 * The keys that sign ID tokens (RS256, which OpenID Connect requires every provider to offer), through
 * jose: no hand-rolled JWT code. OIDC_SIGNING_KEYS lists private JWKs, the first signing and every one
 * published in the JWKS, so a rotation is: add the new key first, keep the old one published until the
 * tokens it signed have expired (OIDC_ACCESS_TOKEN_TTL_SECONDS), then drop it.
 *
 * jose is the JWS signer and verifier only (CompactSign, compactVerify): WebCrypto makes, imports and
 * exports keys, valibot parses claims, which keeps jose's JWT and JWKS layers out of the bundle.
 *
 * Without OIDC_SIGNING_KEYS the worker makes a key on first use. Two isolates may do so at the same
 * moment, and KV cannot say which write came first; so each offers its key to one Durable Object
 * (OidcGrants, instance `signing-key`), which keeps the first it is offered and hands that one to every
 * later caller: all isolates converge on one key before any token is signed. The key is sealed (AES-GCM,
 * TOKEN_ENCRYPTION_KEY) in KV (`oidc:signing-key`, STORAGE.md) and in that object.
 */
import { CompactSign, compactVerify, type JWK } from 'jose'
import * as v from 'valibot'
import type { OidcConfig } from '../config.ts'
import { ProblemError } from '../http/problem.ts'
import type { SessionStore } from '../sessions/session-store.ts'
import { sha256 } from '../sessions/token-crypto.ts'
import type { PrivateRsaJwk } from './settings.ts'

/** A key that signs (the first) or is published for verification during a rotation. */
export interface SigningKey {
  kid: string
  privateKey: CryptoKey
  /** The public half, imported once: what an `id_token_hint` is verified with. */
  publicKey: CryptoKey
  /** The public half, as the JWKS publishes it. */
  publicJwk: JWK
}

/** Imports private RSA JWKs; a key that does not import is `misconfigured` naming the setting. */
export async function importSigningKeys(jwks: readonly PrivateRsaJwk[]): Promise<SigningKey[]> {
  let keys: SigningKey[]
  try {
    keys = await Promise.all(jwks.map((jwk) => importSigningKey(jwk)))
  } catch {
    throw new ProblemError(
      'misconfigured',
      'The worker is misconfigured: invalid OIDC_SIGNING_KEYS (a key does not import as an RS256 private key of 2048 bits or more).',
    )
  }
  // Two keys under one kid: a relying party could not tell which verifies a token.
  if (new Set(keys.map((key) => key.kid)).size !== keys.length) {
    throw new ProblemError(
      'misconfigured',
      'The worker is misconfigured: invalid OIDC_SIGNING_KEYS (two keys have the same kid).',
    )
  }
  return keys
}

/** RS256 (RSASSA-PKCS1-v1_5 with SHA-256), as WebCrypto names it. */
const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }

/**
 * An RSA JWK as a CryptoKey, by WebCrypto: only the key members are passed (runtimes differ on `alg`,
 * `use` and `key_ops`, which jose's importJWK drops too), and WebCrypto refuses what is not an RSA key.
 */
function importRs256(jwk: JWK, use: 'sign' | 'verify'): Promise<CryptoKey> {
  const { n, e, d, p, q, dp, dq, qi } = jwk
  const members = use === 'sign' ? { kty: 'RSA', n, e, d, p, q, dp, dq, qi } : { kty: 'RSA', n, e }
  return crypto.subtle.importKey('jwk', members, RS256, false, [use])
}

async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  const privateKey = await importRs256(jwk, 'sign')
  // jose refuses to sign with less (RFC 7518 3.3): refused here, as a setting, not at the first token.
  if (((privateKey.algorithm as { modulusLength?: number }).modulusLength ?? 0) < 2048)
    throw new TypeError('RSA key too short')
  // Only the public fields, named one by one: no private field can reach the JWKS.
  const publicJwk: JWK = { kty: 'RSA', n: jwk.n, e: jwk.e }
  // WebCrypto imports an `n` that is not p × q; signing with it then fails (a 500 at the first token), or
  // signs what the published key cannot verify. One signature, checked now, makes it a setting's error.
  const empty = new Uint8Array()
  const publicKey = await importRs256(publicJwk, 'verify')
  const probe = await crypto.subtle.sign(RS256, privateKey, empty)
  if (!(await crypto.subtle.verify(RS256, publicKey, probe, empty)))
    throw new TypeError('RSA key parts do not match')
  const kid = jwk.kid ?? (await rsaThumbprint(jwk))
  return { kid, privateKey, publicKey, publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' } }
}

/**
 * The RFC 7638 thumbprint of an RSA public key: SHA-256 of its required members (e, kty, n) as JSON in that
 * lexicographic order without whitespace. Written out rather than jose's calculateJwkThumbprint, which
 * handles every key type for about 0.6 KB gzipped: `n` and `e` are base64url strings WebCrypto has just
 * imported, so `JSON.stringify` of the three members is the canonical form. It is only the `kid` that
 * picks a key of the JWKS; the signature is what is verified. Tested against jose and RFC 7638's example.
 */
export function rsaThumbprint({ n, e }: { n?: string; e?: string }): Promise<string> {
  return sha256(JSON.stringify({ e, kty: 'RSA', n }))
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
          const pair = (await crypto.subtle.generateKey(
            { ...RS256, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
            true,
            ['sign', 'verify'],
          )) as CryptoKeyPair
          // The key members only, as stored before: its alg is set when it is imported.
          const { kty, n, e, d, p, q, dp, dq, qi } = (await crypto.subtle.exportKey(
            'jwk',
            pair.privateKey,
          )) as JsonWebKey
          return { kty, n, e, d, p, q, dp, dq, qi }
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

/**
 * Signs an ID token with the first key: RS256, its `kid` in the header. jose's CompactSign over the claims
 * as JSON, the bytes SignJWT would sign, without its claims builder: every claim is set by the caller.
 */
export function signIdToken(key: SigningKey, claims: Record<string, unknown>): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey)
}

/** The claims the end-session endpoint relies on; the rest is kept, unchecked. */
const IdTokenHint = v.looseObject({ iss: v.string(), aud: v.string(), sub: v.string() })
export type IdTokenHint = v.InferOutput<typeof IdTokenHint>

/** An ID token this provider signed is about 1 KB; a longer hint is refused before it is decoded. */
const MAX_ID_TOKEN_LENGTH = 8192

/**
 * The claims of an ID token this worker signed with one of `keys` (RS256 only: a token naming another
 * `alg`, such as HS256 keyed with the public key, is refused), from `issuer`, for one client (`aud` a
 * string, as this provider issues it), about someone (`sub`). Expiry is not checked: an `id_token_hint`
 * at sign-out is often an old token.
 */
export async function verifiedIdToken(
  keys: readonly SigningKey[],
  token: string,
  issuer: string,
): Promise<IdTokenHint | undefined> {
  if (token.length > MAX_ID_TOKEN_LENGTH) return undefined
  try {
    const { payload } = await compactVerify(
      token,
      async (header) => {
        const key = keys.find((k) => k.kid === header.kid)
        if (!key || header.b64 === false) throw new Error('unknown key')
        return key.publicKey
      },
      { algorithms: ['RS256'] },
    )
    const claims = v.parse(IdTokenHint, JSON.parse(new TextDecoder().decode(payload)))
    return claims.iss === issuer ? claims : undefined
  } catch {
    return undefined
  }
}
