import { DEFAULT_SIGNING_KEY } from '@plex-auth/fake-plex'
import { importJWK, type JWK, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createPlexClient,
  generateDeviceKey,
  type PlexDeviceKey,
  type PlexJwks,
  refreshPlexJwt,
  verifyPlexJwt,
} from '../src/index.ts'
import { clearPlexJwksCache } from '../src/verify-plex-jwt.ts'
import { CLIENT_ID, everythingPrintable, PRODUCT, plexErrorOf, type Setup, setup } from './helpers.ts'

const KEYS_URL = 'https://clients.plex.tv/api/v2/auth/keys'

// The JWKS cache is per clientsUrl and lives as long as the module: every test starts without one.
beforeEach(() => clearPlexJwksCache())
afterEach(() => {
  vi.useRealTimers()
  clearPlexJwksCache()
})

async function registeredKey({ options, alice }: Setup): Promise<PlexDeviceKey> {
  const deviceKey = await generateDeviceKey()
  await createPlexClient(options).registerDeviceKey({ token: alice.token, deviceKey })
  return deviceKey
}

const now = (): number => Math.floor(Date.now() / 1000)

/** A token as plex.tv would sign it (with the fake's key), with `claims` and `header` overriding. */
async function plexJwt(
  claims: JWTPayload = {},
  header: Record<string, unknown> = {},
  privateJwk: JWK = DEFAULT_SIGNING_KEY.privateJwk,
): Promise<string> {
  return new SignJWT({
    iss: 'plex.tv',
    aud: [CLIENT_ID],
    iat: now(),
    exp: now() + 7 * 86400,
    nonce: 'n',
    thumbprint: 'device-kid',
    user: { id: 1, uuid: 'u1', username: 'alice' },
    ...claims,
  })
    .setProtectedHeader({ kid: DEFAULT_SIGNING_KEY.kid, alg: 'EdDSA', typ: 'JWT', ...header })
    .sign(await importJWK(privateJwk, 'EdDSA'))
}

const base64url = (text: string): string =>
  btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

describe('verifyPlexJwt', () => {
  it('README example: the claims, checked against GET https://clients.plex.tv/api/v2/auth/keys (fetched once)', async () => {
    const world = setup()
    const { fake } = world
    const deviceKey = await registeredKey(world)
    const { token: jwt } = await refreshPlexJwt({ ...world.options, deviceKey })
    fake.requests.length = 0
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const claims = await plex.verifyPlexJwt({ token: jwt, deviceKey })

    expect(claims).toEqual({
      iss: 'plex.tv',
      aud: ['plex.tv', CLIENT_ID],
      iat: expect.any(Number),
      exp: expect.any(Number),
      nonce: expect.any(String),
      thumbprint: deviceKey.kid,
      user: {
        id: world.alice.id,
        uuid: world.alice.uuid,
        username: 'alice',
        email: 'alice@example.com',
        friendly_name: 'Alice',
      },
    })
    expect(fake.requests).toEqual([
      {
        method: 'GET',
        url: KEYS_URL,
        headers: {
          accept: 'application/json',
          'x-plex-client-identifier': CLIENT_ID,
          'x-plex-product': PRODUCT,
        },
        body: '',
      },
    ])
    // Cached: the next verifications are local.
    await plex.verifyPlexJwt({ token: jwt })
    await verifyPlexJwt({ clientIdentifier: CLIENT_ID, fetch: fake.fetch, token: jwt })
    expect(fake.requests).toHaveLength(1)
  })

  describe('adversarial tokens: each is invalid_token, and the token never shows in the error', () => {
    const cases: [string, () => Promise<string>, RegExp][] = [
      ['alg: none', async () => new UnsecuredJWT({ iss: 'plex.tv', aud: [CLIENT_ID] }).encode(), /EdDSA/],
      [
        'HS256 made with the public key as the secret',
        async () =>
          new SignJWT({
            iss: 'plex.tv',
            aud: [CLIENT_ID],
            iat: now(),
            exp: now() + 60,
            user: { id: 1, uuid: 'u' },
          })
            .setProtectedHeader({ alg: 'HS256', kid: DEFAULT_SIGNING_KEY.kid })
            .sign(new TextEncoder().encode(JSON.stringify(DEFAULT_SIGNING_KEY.publicJwk))),
        /EdDSA/,
      ],
      ['a wrong aud', () => plexJwt({ aud: ['someone-else'] }), /aud claim/],
      ['an expired token', () => plexJwt({ iat: now() - 8 * 86400, exp: now() - 86400 }), /expired/],
      [
        'a token signed by an unknown key',
        async () => {
          const stranger = await generateDeviceKey()
          return plexJwt({}, { kid: stranger.kid }, stranger.privateJwk)
        },
        /no key of plex\.tv/,
      ],
      [
        'a token signed by another key under plex.tv’s kid',
        async () => {
          const stranger = await generateDeviceKey()
          return plexJwt({}, {}, stranger.privateJwk)
        },
        /signature/,
      ],
      [
        'a thumbprint that is not the device’s',
        () => plexJwt({ thumbprint: 'someone-elses-key' }),
        /another device/,
      ],
      ['another issuer', () => plexJwt({ iss: 'evil.example' }), /iss claim/],
      ['no exp', () => plexJwt({ exp: undefined }), /exp claim/],
      ['issued in the future', () => plexJwt({ iat: now() + 3600 }), /future/],
      ['no user', () => plexJwt({ user: undefined }), /claims/],
      [
        'a tampered payload',
        async () => {
          const [header, , signature] = (await plexJwt()).split('.')
          const payload = base64url(
            JSON.stringify({
              iss: 'plex.tv',
              aud: [CLIENT_ID],
              iat: now(),
              exp: now() + 60,
              user: { id: 2, uuid: 'admin' },
            }),
          )
          return `${header}.${payload}.${signature}`
        },
        /signature/,
      ],
      ['not a JWT', async () => 'ALiCeT0kenFaKe9x2Qm7', /not a valid JWT/],
    ]
    for (const [name, make, reason] of cases) {
      it(name, async () => {
        const { fake } = setup()
        const deviceKey = { ...(await generateDeviceKey()), kid: 'device-kid' }
        const token = await make()
        const error = await plexErrorOf(
          verifyPlexJwt({ clientIdentifier: CLIENT_ID, fetch: fake.fetch, token, deviceKey }),
          'invalid_token',
        )
        expect(error.message).toMatch(/^verifyPlexJwt: /)
        expect(error.message).toMatch(reason)
        expect(everythingPrintable(error)).not.toContain(token)
        for (const part of token.split('.'))
          if (part.length > 8) expect(everythingPrintable(error)).not.toContain(part)
      })
    }

    it('alg none and HS256 never cost a request', async () => {
      const { fake } = setup()
      const token = new UnsecuredJWT({ iss: 'plex.tv' }).encode()
      await plexErrorOf(
        verifyPlexJwt({ clientIdentifier: CLIENT_ID, fetch: fake.fetch, token }),
        'invalid_token',
      )
      expect(fake.requests).toHaveLength(0)
    })
  })

  it('an unknown kid refetches the JWKS, at most once per 30 s: plex.tv’s new key is picked up', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const world = setup()
    const { fake } = world
    const deviceKey = await registeredKey(world)
    const options = { clientIdentifier: CLIENT_ID, fetch: fake.fetch }
    await verifyPlexJwt({ ...options, token: (await refreshPlexJwt({ ...world.options, deviceKey })).token })
    const newKid = await fake.rotateSigningKey()
    const rotated = (await refreshPlexJwt({ ...world.options, deviceKey })).token
    const keyFetches = (): number => fake.requests.filter((r) => r.url === KEYS_URL).length
    expect(keyFetches()).toBe(1)
    // Within 30 s of the last fetch: no refetch, the new kid is unknown.
    vi.advanceTimersByTime(29_000)
    await plexErrorOf(verifyPlexJwt({ ...options, token: rotated }), 'invalid_token')
    expect(keyFetches()).toBe(1)
    vi.advanceTimersByTime(1_000)
    const claims = await verifyPlexJwt({ ...options, token: rotated, deviceKey })
    expect(claims.thumbprint).toBe(deviceKey.kid)
    expect(keyFetches()).toBe(2)
    // A forged kid right after costs nothing more.
    const forged = await plexJwt({}, { kid: 'made-up' })
    await plexErrorOf(verifyPlexJwt({ ...options, token: forged }), 'invalid_token')
    expect(keyFetches()).toBe(2)
    expect(fake.signingKeys.at(-1)?.kid).toBe(newKid)
  })

  it('a cached JWKS is fetched again after 10 minutes; if that fails, the cached keys still verify', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const { fake } = setup()
    const options = { clientIdentifier: CLIENT_ID, fetch: fake.fetch, retry: false as const }
    const keyFetches = (): number => fake.requests.filter((r) => r.url === KEYS_URL).length
    await verifyPlexJwt({ ...options, token: await plexJwt() })
    vi.advanceTimersByTime(10 * 60_000)
    await verifyPlexJwt({ ...options, token: await plexJwt() })
    expect(keyFetches()).toBe(2)
    vi.advanceTimersByTime(10 * 60_000)
    fake.inject({ kind: 'network', path: '/api/v2/auth/keys' })
    await verifyPlexJwt({ ...options, token: await plexJwt() })
    expect(keyFetches()).toBe(3)
  })

  it('a failure to fetch the keys keeps its own code: it says nothing about the token', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const { fake } = setup()
    const options = { clientIdentifier: CLIENT_ID, fetch: fake.fetch, retry: false as const }
    fake.inject({ kind: 'network', times: 1 })
    await plexErrorOf(verifyPlexJwt({ ...options, token: await plexJwt() }), 'network_error')
    fake.inject({ kind: 'status', status: 200, times: 1, body: { keys: 'none' } })
    await plexErrorOf(verifyPlexJwt({ ...options, token: await plexJwt() }), 'invalid_response')
    fake.inject({ kind: 'status', status: 200, times: 1, body: { keys: [{ kty: 'OKP' }, 42] } })
    await plexErrorOf(verifyPlexJwt({ ...options, token: await plexJwt() }), 'invalid_response')
    // An unknown kid whose refetch fails: that failure, not invalid_token.
    await verifyPlexJwt({ ...options, token: await plexJwt() })
    vi.advanceTimersByTime(30_000)
    fake.inject({ kind: 'status', status: 503, times: 1, path: '/api/v2/auth/keys' })
    await plexErrorOf(
      verifyPlexJwt({ ...options, token: await plexJwt({}, { kid: 'new-kid' }) }),
      'upstream_error',
    )
  })

  it('concurrent verifications share one fetch of the keys', async () => {
    const { fake } = setup()
    const options = { clientIdentifier: CLIENT_ID, fetch: fake.fetch }
    const tokens = await Promise.all([plexJwt(), plexJwt({ nonce: 'other' })])
    await Promise.all(tokens.map((token) => verifyPlexJwt({ ...options, token })))
    expect(fake.requests).toHaveLength(1)
  })

  it('with `jwks`: no request; without a clientIdentifier, aud is not checked (and keys cannot be fetched)', async () => {
    let requests = 0
    const fetch = async (): Promise<Response> => {
      requests++
      return new Response()
    }
    const jwks: PlexJwks = { keys: [{ ...DEFAULT_SIGNING_KEY.publicJwk, kid: DEFAULT_SIGNING_KEY.kid }] }
    const token = await plexJwt({ aud: ['another-app'] })
    expect((await verifyPlexJwt({ token, jwks, fetch })).aud).toEqual(['another-app'])
    await plexErrorOf(verifyPlexJwt({ token, jwks, fetch, clientIdentifier: CLIENT_ID }), 'invalid_token')
    expect(requests).toBe(0)
    await plexErrorOf(verifyPlexJwt({ token, fetch }), 'invalid_input')
    await plexErrorOf(verifyPlexJwt({ token, jwks: { keys: 'no' } as never, fetch }), 'invalid_input')
    await plexErrorOf(verifyPlexJwt({ token: '', jwks, fetch }), 'invalid_input')
    await plexErrorOf(verifyPlexJwt({ token, jwks, fetch, clientIdentifier: '' }), 'invalid_input')
    await plexErrorOf(
      verifyPlexJwt({ token, jwks, fetch, deviceKey: { kid: 'x' } as never }),
      'invalid_input',
    )
    expect(requests).toBe(0)
  })

  it('accepts 30 s of clock skew on exp and iat, and a plain-string aud', async () => {
    const jwks: PlexJwks = { keys: [{ ...DEFAULT_SIGNING_KEY.publicJwk, kid: DEFAULT_SIGNING_KEY.kid }] }
    const options = { clientIdentifier: CLIENT_ID, jwks }
    await verifyPlexJwt({ ...options, token: await plexJwt({ exp: now() - 20 }) })
    await verifyPlexJwt({ ...options, token: await plexJwt({ iat: now() + 20 }) })
    await verifyPlexJwt({ ...options, token: await plexJwt({ aud: CLIENT_ID }) })
    await plexErrorOf(
      verifyPlexJwt({ ...options, token: await plexJwt({ exp: now() - 40 }) }),
      'invalid_token',
    )
  })

  it('a key whose x is not 32 bytes of canonical base64url is not used: invalid_token, never a raw WebCrypto error', async () => {
    // Runtimes' WebCrypto disagree on these (see key32); the conformance suite runs them in each.
    const { x } = DEFAULT_SIGNING_KEY.publicJwk
    for (const bad of ['too-short', `${x}=`, `${x} `, `${x}A`, x.slice(0, 42)]) {
      const jwks: PlexJwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: bad, kid: DEFAULT_SIGNING_KEY.kid }] }
      const error = await plexErrorOf(verifyPlexJwt({ jwks, token: await plexJwt() }), 'invalid_token')
      expect(error.message).toBe('verifyPlexJwt: no key of plex.tv signed this token')
    }
  })

  describe('each claim rule, and what an attacker would try (reviewed as one): invalid_token, the reason named', () => {
    const jwks: PlexJwks = { keys: [{ ...DEFAULT_SIGNING_KEY.publicJwk, kid: DEFAULT_SIGNING_KEY.kid }] }
    const options = { clientIdentifier: CLIENT_ID, jwks }
    /**
     * A token with this exact header and payload text, signed with plex.tv’s key by WebCrypto itself: jose
     * would refuse to sign some of these headers. `encoded: false` leaves the payload as it is (RFC 7797).
     */
    async function signedRaw(
      json: string,
      header: Record<string, unknown> = {},
      { encoded = true } = {},
    ): Promise<string> {
      const head = base64url(
        JSON.stringify({ kid: DEFAULT_SIGNING_KEY.kid, alg: 'EdDSA', typ: 'JWT', ...header }),
      )
      const body = encoded ? base64url(json) : json
      const key = await importJWK(DEFAULT_SIGNING_KEY.privateJwk, 'EdDSA')
      const signature = new Uint8Array(
        await crypto.subtle.sign('Ed25519', key as CryptoKey, new TextEncoder().encode(`${head}.${body}`)),
      )
      return `${head}.${body}.${base64url(String.fromCharCode(...signature))}`
    }
    const reasonFor = async (token: string, jwksOf: PlexJwks = jwks): Promise<string> =>
      (
        await plexErrorOf(
          verifyPlexJwt({ clientIdentifier: CLIENT_ID, jwks: jwksOf, token }),
          'invalid_token',
        )
      ).message
    const claimsJson = (extra: string): string =>
      `{"iss":"plex.tv","aud":["${CLIENT_ID}"],"iat":${now()},${extra},"user":{"id":1,"uuid":"u1"}}`

    it('exp, nbf and iat at the edge of the 30 s tolerance (whole seconds, as jose counted them)', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: 1_767_225_600_999 })
      const t = 1_767_225_600
      await verifyPlexJwt({ ...options, token: await plexJwt({ iat: t - 60, exp: t - 29 }) })
      expect(await reasonFor(await plexJwt({ iat: t - 60, exp: t - 30 }))).toBe(
        'verifyPlexJwt: the token has expired',
      )
      await verifyPlexJwt({ ...options, token: await plexJwt({ iat: t, exp: t + 60, nbf: t + 30 }) })
      expect(await reasonFor(await plexJwt({ iat: t, exp: t + 60, nbf: t + 31 }))).toBe(
        'verifyPlexJwt: the nbf claim is not valid',
      )
      await verifyPlexJwt({ ...options, token: await plexJwt({ iat: t + 30, exp: t + 60 }) })
      expect(await reasonFor(await plexJwt({ iat: t + 31, exp: t + 60 }))).toBe(
        'verifyPlexJwt: the token is issued in the future',
      )
    })

    const claimCases: [string, () => Promise<string>, string][] = [
      [
        'not yet valid (nbf an hour ahead)',
        () => plexJwt({ nbf: now() + 3600 }),
        'the nbf claim is not valid',
      ],
      [
        'exp as a string',
        () => plexJwt({ exp: String(now() + 3600) as never }),
        'the exp claim is not valid',
      ],
      [
        'exp that never comes (1e999 is Infinity)',
        () => signedRaw(claimsJson('"exp":1e999')),
        'the exp claim is not valid',
      ],
      ['iat as a string', () => plexJwt({ iat: String(now()) as never }), 'the iat claim is not valid'],
      ['no iat', () => plexJwt({ iat: undefined }), 'the iat claim is not valid'],
      ['nbf as a string', () => plexJwt({ nbf: 'now' as never }), 'the nbf claim is not valid'],
      ['no aud', () => plexJwt({ aud: undefined }), 'the aud claim is not valid'],
      ['aud a number', () => plexJwt({ aud: 42 as never }), 'the aud claim is not valid'],
      [
        'aud a string naming someone else',
        () => plexJwt({ aud: 'someone-else' }),
        'the aud claim is not valid',
      ],
      ['an empty aud list', () => plexJwt({ aud: [] }), 'the aud claim is not valid'],
      ['no iss', () => plexJwt({ iss: undefined }), 'the iss claim is not valid'],
      ['iss in another case', () => plexJwt({ iss: 'Plex.tv' }), 'the iss claim is not valid'],
      [
        'a payload that is JSON but not an object',
        () => signedRaw('["plex.tv"]'),
        'the claims are not those of a Plex JWT',
      ],
      ['a payload that is not JSON', () => signedRaw('plex.tv'), 'the claims are not those of a Plex JWT'],
      ['a user without a uuid', () => plexJwt({ user: { id: 1 } }), 'the claims are not those of a Plex JWT'],
    ]
    for (const [name, make, reason] of claimCases) {
      it(name, async () => {
        expect(await reasonFor(await make())).toBe(`verifyPlexJwt: ${reason}`)
      })
    }

    const headerCases: [string, () => Promise<string>, string][] = [
      [
        'alg RS256 (another family)',
        () => signedRaw(claimsJson(`"exp":${now() + 60}`), { alg: 'RS256' }),
        'EdDSA',
      ],
      ['no alg', () => signedRaw(claimsJson(`"exp":${now() + 60}`), { alg: undefined }), 'not a valid JWT'],
      ['a kid that is not a string', () => plexJwt({}, { kid: 7 }), 'not a valid JWT'],
      [
        'an unencoded payload (b64: false), signed by plex.tv’s key',
        () => signedRaw(claimsJson(`"exp":${now() + 60}`), { b64: false, crit: ['b64'] }, { encoded: false }),
        'not a valid JWT',
      ],
      [
        'a critical extension nobody knows',
        () => signedRaw(claimsJson(`"exp":${now() + 60}`), { crit: ['exp'], exp: 1 }),
        'not a valid JWT',
      ],
      ['five parts (a JWE)', async () => `${await plexJwt()}.e30.e30`, 'not a valid JWT'],
      [
        'a header that is not JSON',
        async () => `bm90IGpzb24.${(await plexJwt()).split('.')[1]}.c2ln`,
        'not a valid JWT',
      ],
      [
        'a signature that is not base64url',
        async () => `${(await plexJwt()).slice(0, -4)}%%%%`,
        'not a valid JWT',
      ],
      ['an empty signature', async () => (await plexJwt()).replace(/[^.]+$/, ''), 'signature'],
    ]
    for (const [name, make, reason] of headerCases) {
      it(name, async () => {
        expect(await reasonFor(await make())).toMatch(reason)
      })
    }

    it('a huge token is refused before it is decoded, and costs no request', async () => {
      const { fake } = setup()
      const [header, payload, signature] = (await plexJwt({ padding: 'x'.repeat(20_000) })).split('.')
      const huge = `${header}.${payload}.${signature}`
      const error = await plexErrorOf(
        verifyPlexJwt({ clientIdentifier: CLIENT_ID, fetch: fake.fetch, token: huge }),
        'invalid_token',
      )
      expect(error.message).toBe('verifyPlexJwt: the token is too long to be a Plex JWT')
      expect(fake.requests).toHaveLength(0)
    })

    it('a JWKS with two usable keys under one kid: ambiguous, refused even when one of them signed', async () => {
      const stranger = await generateDeviceKey()
      const twoUnderOneKid: PlexJwks = {
        keys: [...jwks.keys, { ...stranger.publicJwk, kid: DEFAULT_SIGNING_KEY.kid }],
      }
      expect(await reasonFor(await plexJwt(), twoUnderOneKid)).toMatch(/no key of plex\.tv/)
      // Without a kid, any usable key may match: one key verifies, two are ambiguous.
      const noKid = await plexJwt({}, { kid: undefined })
      await verifyPlexJwt({ ...options, token: noKid })
      expect(await reasonFor(noKid, { keys: [...jwks.keys, { ...stranger.publicJwk }] })).toMatch(
        /no key of plex\.tv/,
      )
    })

    it('keys jose’s JWKS would not use are not used: another curve, use enc, key_ops without verify, another alg', async () => {
      const plexKey = jwks.keys[0]!
      for (const unusable of [
        { ...plexKey, crv: 'X25519' },
        { ...plexKey, use: 'enc' },
        { ...plexKey, key_ops: ['sign'] },
        { ...plexKey, alg: 'RS256' },
        { kty: 'RSA', kid: plexKey.kid, n: 'AQAB', e: 'AQAB' },
      ]) {
        expect(await reasonFor(await plexJwt(), { keys: [unusable] })).toMatch(/no key of plex\.tv/)
      }
      // Beside an RSA key under the same kid, the Ed25519 one is the only candidate, and verifies.
      await verifyPlexJwt({
        ...options,
        jwks: { keys: [{ kty: 'RSA', kid: plexKey.kid, n: 'AQAB', e: 'AQAB' }, plexKey] },
        token: await plexJwt(),
      })
    })

    it('a private key published in the set is refused, never used', async () => {
      const leaked: PlexJwks = { keys: [{ ...DEFAULT_SIGNING_KEY.privateJwk, kid: DEFAULT_SIGNING_KEY.kid }] }
      expect(await reasonFor(await plexJwt(), leaked)).toBe('verifyPlexJwt: the token does not verify')
    })

    it('kid injection: __proto__, constructor and a 4 KB kid match no key and cost at most one fetch', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
      const { fake } = setup()
      const fetchOptions = { clientIdentifier: CLIENT_ID, fetch: fake.fetch }
      await verifyPlexJwt({ ...fetchOptions, token: await plexJwt() })
      vi.advanceTimersByTime(30_000)
      for (const kid of ['__proto__', 'constructor', 'k'.repeat(4096)]) {
        const error = await plexErrorOf(
          verifyPlexJwt({ ...fetchOptions, token: await plexJwt({}, { kid }) }),
          'invalid_token',
        )
        expect(error.message).toMatch(/no key of plex\.tv/)
      }
      expect(fake.requests.filter((r) => r.url === KEYS_URL)).toHaveLength(2)
    })
  })
})
