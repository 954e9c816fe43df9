// The ID token keys (src/oidc/keys.ts) on their own: signing as jose's SignJWT did, the kid a key gets,
// and the id_token_hint check against every token an attacker could hand to the end-session endpoint.
import { base64url, calculateJwkThumbprint, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { ProblemError } from '../../src/http/problem.ts'
import {
  importSigningKeys,
  rsaThumbprint,
  type SigningKey,
  signIdToken,
  verifiedIdToken,
} from '../../src/oidc/keys.ts'
import type { PrivateRsaJwk } from '../../src/oidc/settings.ts'

const ISSUER = 'https://worker.test'

/** A fresh private RSA JWK, as an operator would put one in OIDC_SIGNING_KEYS. */
async function privateRsaJwk(kid?: string, modulusLength = 2048): Promise<PrivateRsaJwk> {
  const pair = (await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair
  const { n, e, d, p, q, dp, dq, qi } = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey
  return { kty: 'RSA', n: n!, e: e!, d: d!, p: p!, q: q!, dp: dp!, dq: dq!, qi: qi!, ...(kid ? { kid } : {}) }
}

const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'a11ce0000000a11c',
  iss: ISSUER,
  aud: 'grafana',
  iat: 1_767_225_600,
  exp: 1_767_229_200,
  ...extra,
})

/** A token with this exact header and payload text, signed by `key` through WebCrypto (jose refuses some). */
async function signedRaw(
  key: SigningKey,
  json: string,
  header: Record<string, unknown> = {},
): Promise<string> {
  const head = base64url.encode(JSON.stringify({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...header }))
  const body = header.b64 === false ? json : base64url.encode(json)
  const signature = await crypto.subtle.sign(
    'RSASSA-PKCS1-v1_5',
    key.privateKey,
    new TextEncoder().encode(`${head}.${body}`),
  )
  return `${head}.${body}.${base64url.encode(new Uint8Array(signature))}`
}

describe('ID token keys', () => {
  it('sign the very bytes jose’s SignJWT signed before (RS256 is deterministic): header {alg, kid, typ}', async () => {
    const [key] = await importSigningKeys([await privateRsaJwk('k1')])
    const token = await signIdToken(key!, claims({ nonce: 'n' }))
    const viaSignJwt = await new SignJWT(claims({ nonce: 'n' }))
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
      .sign(key!.privateKey)
    expect(token).toBe(viaSignJwt)
    expect(await verifiedIdToken([key!], token, ISSUER)).toEqual(claims({ nonce: 'n' }))
  })

  it('a key without kid gets its RFC 7638 thumbprint: RFC 7638’s example (section 3.1), and as jose computes it', async () => {
    const rfc7638 = {
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiF' +
        'V4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0' +
        'zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-cs' +
        'FCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
    }
    expect(await rsaThumbprint(rfc7638)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
    const jwk = await privateRsaJwk()
    const [key] = await importSigningKeys([jwk])
    expect(key!.kid).toBe(await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n, e: jwk.e }))
    // Only public members reach the JWKS.
    expect(Object.keys(key!.publicJwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use'])
  })

  it('OIDC_SIGNING_KEYS with two keys under one kid is misconfigured: relying parties could not pick one', async () => {
    const error = await importSigningKeys([await privateRsaJwk('same'), await privateRsaJwk('same')]).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ProblemError)
    expect((error as ProblemError).message).toMatch(/two keys have the same kid/)
  })

  it('a key whose parts do not belong together is misconfigured when read, not a 500 at the first token', async () => {
    const [a, b] = [await privateRsaJwk(), await privateRsaJwk()]
    // Another key's modulus: WebCrypto imports it, and signing with it fails.
    const error = await importSigningKeys([{ ...a, n: b.n }]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProblemError)
    expect((error as ProblemError).code).toBe('misconfigured')
    expect((error as ProblemError).message).toMatch(/invalid OIDC_SIGNING_KEYS/)
    expect(await importSigningKeys([a, b])).toHaveLength(2)
  })

  it('an RSA key under 2048 bits is misconfigured when read, not a 500 at the first token', async () => {
    const error = await importSigningKeys([await privateRsaJwk('short', 1024)]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProblemError)
    expect((error as ProblemError).code).toBe('misconfigured')
    expect((error as ProblemError).message).toMatch(/2048 bits or more/)
  })

  describe('id_token_hint: only an ID token this worker signed, for one client, from this issuer', () => {
    it('an old (expired) token is still a hint: sign-out must work after the token lapsed', async () => {
      const [key] = await importSigningKeys([await privateRsaJwk('k1')])
      const token = await signIdToken(key!, claims({ exp: 1 }))
      expect(await verifiedIdToken([key!], token, ISSUER)).toMatchObject({ aud: 'grafana', exp: 1 })
    })

    it('during a rotation, a token of the published second key is a hint too', async () => {
      const keys = await importSigningKeys([await privateRsaJwk('new'), await privateRsaJwk('old')])
      const token = await signIdToken(keys[1]!, claims())
      expect(await verifiedIdToken(keys, token, ISSUER)).toMatchObject({ sub: claims().sub })
    })

    const refused: [string, (key: SigningKey, keys: SigningKey[]) => Promise<string>][] = [
      [
        'alg none',
        async () => `${base64url.encode('{"alg":"none"}')}.${base64url.encode(JSON.stringify(claims()))}.`,
      ],
      [
        'HS256 keyed with the public key (alg confusion)',
        async (key) =>
          new SignJWT(claims())
            .setProtectedHeader({ alg: 'HS256', kid: key.kid })
            .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk))),
      ],
      [
        'RS256 by a stranger’s key under our kid',
        async (key) => {
          const [stranger] = await importSigningKeys([await privateRsaJwk(key.kid)])
          return signIdToken(stranger!, claims())
        },
      ],
      [
        'an unknown kid',
        async () => {
          const [stranger] = await importSigningKeys([await privateRsaJwk('stranger')])
          return signIdToken(stranger!, claims())
        },
      ],
      ['no kid', (key) => signedRaw(key, JSON.stringify(claims()), { kid: undefined })],
      [
        'a tampered payload',
        async (key) => {
          const [header, , signature] = (await signIdToken(key, claims())).split('.')
          return `${header}.${base64url.encode(JSON.stringify(claims({ sub: 'someone-else' })))}.${signature}`
        },
      ],
      ['another issuer', (key) => signIdToken(key, claims({ iss: 'https://evil.example' }))],
      ['no aud', (key) => signIdToken(key, claims({ aud: undefined }))],
      [
        'aud a list (this provider issues one client)',
        (key) => signIdToken(key, claims({ aud: ['grafana'] })),
      ],
      ['no sub', (key) => signIdToken(key, claims({ sub: undefined }))],
      ['a payload that is not JSON', (key) => signedRaw(key, 'grafana')],
      [
        'an unencoded payload (b64: false)',
        (key) => signedRaw(key, JSON.stringify(claims()), { b64: false, crit: ['b64'] }),
      ],
      [
        'a critical extension nobody knows',
        (key) => signedRaw(key, JSON.stringify(claims()), { crit: ['x'], x: 1 }),
      ],
      ['not a JWT', async () => 'not-a-jwt'],
      ['five parts (a JWE)', async (key) => `${await signIdToken(key, claims())}.e30.e30`],
      ['a huge token (100 KB)', (key) => signIdToken(key, claims({ padding: 'x'.repeat(100_000) }))],
    ]
    for (const [name, make] of refused) {
      it(`refuses ${name}`, async () => {
        const keys = await importSigningKeys([await privateRsaJwk('k1')])
        const token = await make(keys[0]!, keys)
        expect(await verifiedIdToken(keys, token, ISSUER)).toBeUndefined()
      })
    }
  })
})
