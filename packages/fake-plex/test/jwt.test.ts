import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SIGNING_KEY, NONCE_LIFETIME_MS, PLEX_JWT_LIFETIME_MS, PLEX_TV_ERRORS } from '../src/index.ts'
import { ALICE_TOKEN, BOB_TOKEN, CLIENT_ID, plexHeaders, setup } from './helpers.ts'

const CLIENTS = 'https://clients.plex.tv/api/v2'

type Fake = ReturnType<typeof setup>['fake']
type Clock = ReturnType<typeof setup>['clock']

interface TestKey {
  kid: string
  publicJwk: { kty: string; crv: string; x: string }
  privateJwk: Record<string, unknown>
}

async function newKey(): Promise<TestKey> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const jwk = await exportJWK(privateKey)
  const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) }
  return { kid: await calculateJwkThumbprint(publicJwk), publicJwk, privateJwk: jwk }
}

const wireJwk = (key: TestKey) => ({ ...key.publicJwk, kid: key.kid, alg: 'EdDSA' })

/** A device JWT on the fake's clock; `claims` and `header` override the defaults. */
async function deviceJwt(
  key: TestKey,
  clock: Clock,
  claims: JWTPayload = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const iat = Math.floor(clock.now / 1000)
  return new SignJWT({ aud: 'plex.tv', iss: CLIENT_ID, iat, exp: iat + 300, ...claims })
    .setProtectedHeader({ kid: key.kid, alg: 'EdDSA', typ: 'JWT', ...header })
    .sign(await importJWK(key.privateJwk, 'EdDSA'))
}

const json = (body: unknown, extra: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: plexHeaders({ 'content-type': 'application/json', ...extra }),
  body: JSON.stringify(body),
})

async function register(fake: Fake, key: TestKey, token = ALICE_TOKEN, clientIdentifier = CLIENT_ID) {
  return fake.fetch(
    `${CLIENTS}/auth/jwk`,
    json(
      { jwk: { ...wireJwk(key), use: 'sig' } },
      { 'x-plex-token': token, 'x-plex-client-identifier': clientIdentifier },
    ),
  )
}

async function nonce(fake: Fake, clientIdentifier = CLIENT_ID): Promise<string> {
  const res = await fake.fetch(`${CLIENTS}/auth/nonce`, {
    headers: plexHeaders({ 'x-plex-client-identifier': clientIdentifier }),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { nonce: string }).nonce
}

async function exchange(fake: Fake, jwt: string): Promise<Response> {
  return fake.fetch(`${CLIENTS}/auth/token`, json({ jwt }))
}

async function refresh(fake: Fake, key: TestKey, clock: Clock): Promise<string> {
  const res = await exchange(
    fake,
    await deviceJwt(key, clock, { nonce: await nonce(fake), scope: 'username' }),
  )
  expect(res.status).toBe(200)
  return ((await res.json()) as { auth_token: string }).auth_token
}

async function status(fake: Fake, path: string, token: string): Promise<number> {
  return (await fake.fetch(`https://plex.tv${path}`, { headers: plexHeaders({ 'x-plex-token': token }) }))
    .status
}

async function errorOf(res: Response) {
  return { status: res.status, body: await res.json() }
}

describe('GET /api/v2/auth/keys', () => {
  it('is a JWKS holding the fake’s own Ed25519 key, which signs every Plex JWT', async () => {
    const { fake, clock } = setup()
    const res = await fake.fetch(`${CLIENTS}/auth/keys`, { headers: plexHeaders() })
    expect(res.status).toBe(200)
    const jwks = (await res.json()) as JSONWebKeySet
    expect(jwks).toEqual({
      keys: [{ ...DEFAULT_SIGNING_KEY.publicJwk, kid: DEFAULT_SIGNING_KEY.kid, alg: 'EdDSA', use: 'sig' }],
    })
    const key = await newKey()
    expect((await register(fake, key)).status).toBe(201)
    const token = await refresh(fake, key, clock)
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      algorithms: ['EdDSA'],
      currentDate: new Date(clock.now),
    })
    expect(protectedHeader).toEqual({ kid: DEFAULT_SIGNING_KEY.kid, alg: 'EdDSA', typ: 'JWT' })
    const iat = clock.now / 1000
    expect(payload).toEqual({
      iss: 'plex.tv',
      aud: ['plex.tv', CLIENT_ID],
      iat,
      exp: iat + PLEX_JWT_LIFETIME_MS / 1000,
      nonce: expect.any(String),
      thumbprint: key.kid,
      user: { id: 10000001, uuid: 'a11ce0000000a11c', username: 'alice' },
    })
  })

  it('after rotateSigningKey, lists both keys and signs with the new one', async () => {
    const { fake, clock } = setup()
    const kid = await fake.rotateSigningKey()
    expect(fake.signingKeys.map((k) => k.kid)).toEqual([DEFAULT_SIGNING_KEY.kid, kid])
    const res = await fake.fetch(`${CLIENTS}/auth/keys`, { headers: plexHeaders() })
    expect(((await res.json()) as JSONWebKeySet).keys.map((k) => k.kid)).toEqual([
      DEFAULT_SIGNING_KEY.kid,
      kid,
    ])
    const key = await newKey()
    await register(fake, key)
    expect(decodeProtectedHeader(await refresh(fake, key, clock)).kid).toBe(kid)
    fake.reset()
    expect(fake.signingKeys.map((k) => k.kid)).toEqual([DEFAULT_SIGNING_KEY.kid])
  })
})

describe('PIN with a key', () => {
  async function keyPin(fake: Fake, key: TestKey, clientIdentifier = CLIENT_ID) {
    return fake.fetch(
      `${CLIENTS}/pins`,
      json({ jwk: wireJwk(key), strong: true }, { 'x-plex-client-identifier': clientIdentifier }),
    )
  }

  it('hands the Plex JWT only to a poll with a device JWT signed by the PIN’s key', async () => {
    const { fake, clock } = setup()
    const key = await newKey()
    const created = await keyPin(fake, key)
    expect(created.status).toBe(201)
    const pin = (await created.json()) as { id: number; code: string; authToken: null }
    expect(pin.code).toHaveLength(25)
    const poll = (jwt?: string) =>
      fake.fetch(`${CLIENTS}/pins/${pin.id}${jwt ? `?deviceJWT=${jwt}` : ''}`, { headers: plexHeaders() })

    expect(
      ((await (await poll(await deviceJwt(key, clock))).json()) as { authToken: unknown }).authToken,
    ).toBeNull()
    expect(fake.approvePin(pin.id, 'alice')).toBe('')
    expect(fake.deviceKeys('alice')).toMatchObject([
      { thumbprint: key.kid, login: 'alice', device: { clientIdentifier: CLIENT_ID } },
    ])
    // Approved, but a poll without a device JWT, or with one signed by another key, gets no token.
    expect(((await (await poll()).json()) as { authToken: unknown }).authToken).toBeNull()
    const other = await newKey()
    const forged = await deviceJwt(other, clock, {}, { kid: key.kid })
    expect(await errorOf(await poll(forged))).toEqual({
      status: 422,
      body: { errors: [PLEX_TV_ERRORS.signatureVerificationFailed] },
    })
    expect((await poll('not-a-jwt')).status).toBe(400)

    const { authToken } = (await (await poll(await deviceJwt(key, clock))).json()) as { authToken: string }
    expect(decodeJwt(authToken)).toMatchObject({
      thumbprint: key.kid,
      user: { username: 'alice', email: 'alice@example.com', friendly_name: 'Alice' },
    })
    // The same JWT on the next poll; it works as X-Plex-Token on plex.tv.
    expect(
      ((await (await poll(await deviceJwt(key, clock))).json()) as { authToken: string }).authToken,
    ).toBe(authToken)
    expect(await status(fake, '/api/v2/user', authToken)).toBe(200)
    expect(await status(fake, '/api/v2/ping', authToken)).toBe(200)
    expect(fake.devices('alice').map((d) => d.clientIdentifier)).toEqual([CLIENT_ID])
  })

  it('refuses a bad JWK (400) and a key another device holds (422 thumbprint already taken)', async () => {
    const { fake } = setup()
    const key = await newKey()
    expect((await fake.fetch(`${CLIENTS}/pins`, json({ jwk: { kty: 'RSA' }, strong: true }))).status).toBe(
      400,
    )
    expect((await fake.fetch(`${CLIENTS}/pins`, json({ jwk: key.privateJwk }))).status).toBe(400)
    expect((await keyPin(fake, key)).status).toBe(201)
    await register(fake, key, ALICE_TOKEN, 'another-device')
    expect(await errorOf(await keyPin(fake, key))).toEqual({
      status: 422,
      body: { errors: [PLEX_TV_ERRORS.thumbprintTaken] },
    })
  })

  // anthonycaccese/240-MP#240 (2026-08): the owned server's accessToken is the JWT, which the PMS refuses.
  it('the PMS refuses a Plex JWT; resources lists the owned server with the JWT itself', async () => {
    const { fake, clock, main } = setup()
    const key = await newKey()
    await register(fake, key)
    const jwt = await refresh(fake, key, clock)
    const pms = (token: string) =>
      fake.fetch(`${main.url}/security/token?type=delegation&scope=all`, {
        headers: plexHeaders({ 'x-plex-token': token }),
      })
    expect((await pms(jwt)).status).toBe(401)
    const res = await fake.fetch(`${CLIENTS}/resources?includeHttps=1&includeRelay=1`, {
      headers: plexHeaders({ 'x-plex-token': jwt }),
    })
    const devices = (await res.json()) as { clientIdentifier: string; accessToken: string }[]
    const accessToken = devices.find((d) => d.clientIdentifier === main.id)?.accessToken ?? ''
    expect(accessToken).toBe(jwt)
    const refused = await pms(accessToken)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('content-type')).toBe('text/html')
  })
})

describe('POST /api/v2/auth/jwk', () => {
  it('201 for a legacy token; 422 when another device holds the thumbprint; same device again is fine', async () => {
    const { fake } = setup()
    const key = await newKey()
    const res = await register(fake, key)
    expect(res.status).toBe(201)
    expect(await register(fake, key)).toHaveProperty('status', 201)
    expect(await errorOf(await register(fake, key, ALICE_TOKEN, 'another-device'))).toEqual({
      status: 422,
      body: { errors: [PLEX_TV_ERRORS.thumbprintTaken] },
    })
    expect((await register(fake, key, BOB_TOKEN)).status).toBe(422)
    // A new key for the same device replaces its earlier one.
    const next = await newKey()
    await register(fake, next)
    expect(fake.deviceKeys('alice').map((k) => k.thumbprint)).toEqual([next.kid])
  })

  it('401 without a valid token, 400 for what is not an Ed25519 public JWK', async () => {
    const { fake } = setup()
    const key = await newKey()
    expect((await register(fake, key, 'not-a-token')).status).toBe(401)
    const bad = (jwk: unknown) =>
      fake.fetch(`${CLIENTS}/auth/jwk`, json({ jwk }, { 'x-plex-token': ALICE_TOKEN }))
    for (const jwk of [undefined, 'x', { kty: 'EC', crv: 'P-256', x: key.publicJwk.x }, key.privateJwk]) {
      expect((await bad(jwk)).status).toBe(400)
    }
    expect(
      (
        await fake.fetch(`${CLIENTS}/auth/jwk`, {
          ...json({}),
          body: '{',
          headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
        })
      ).status,
    ).toBe(400)
  })
})

describe('nonces and POST /api/v2/auth/token', () => {
  it('a nonce is single-use', async () => {
    const { fake, clock } = setup()
    const key = await newKey()
    await register(fake, key)
    const used = await nonce(fake)
    expect((await exchange(fake, await deviceJwt(key, clock, { nonce: used }))).status).toBe(200)
    expect(await errorOf(await exchange(fake, await deviceJwt(key, clock, { nonce: used })))).toEqual({
      status: 400,
      body: { errors: [PLEX_TV_ERRORS.invalidNonce] },
    })
    expect((await exchange(fake, await deviceJwt(key, clock, { nonce: 'made-up' }))).status).toBe(400)
    expect((await exchange(fake, await deviceJwt(key, clock))).status).toBe(400)
  })

  it('a nonce expires after 5 minutes', async () => {
    const { fake, clock } = setup()
    const key = await newKey()
    await register(fake, key)
    const early = await nonce(fake)
    const late = await nonce(fake)
    clock.now += NONCE_LIFETIME_MS - 1000
    expect((await exchange(fake, await deviceJwt(key, clock, { nonce: early }))).status).toBe(200)
    clock.now += 1000
    expect((await exchange(fake, await deviceJwt(key, clock, { nonce: late }))).status).toBe(400)
  })

  it('nonces are rate-limited per client identifier (429 code 1003)', async () => {
    const { fake } = setup({ nonceRateLimit: { limit: 2, windowMs: 60_000 } })
    await nonce(fake)
    await nonce(fake)
    const res = await fake.fetch(`${CLIENTS}/auth/nonce`, { headers: plexHeaders() })
    expect(await errorOf(res)).toEqual({ status: 429, body: { errors: [PLEX_TV_ERRORS.rateLimited] } })
    await nonce(fake, 'another-device')
  })

  it('422 for a device JWT that is not the registered key’s, or is expired, too long-lived or misaddressed', async () => {
    const { fake, clock } = setup()
    const key = await newKey()
    await register(fake, key)
    const iat = Math.floor(clock.now / 1000)
    const cases: [string, Promise<string>][] = [
      ['signed by another key', newKey().then((other) => deviceJwt(other, clock, {}, { kid: key.kid }))],
      ['expired', deviceJwt(key, clock, { iat: iat - 400, exp: iat - 100 })],
      ['lives longer than an hour', deviceJwt(key, clock, { exp: iat + 3601 })],
      ['issued in the future', deviceJwt(key, clock, { iat: iat + 600, exp: iat + 900 })],
      ['another audience', deviceJwt(key, clock, { aud: 'example.com' })],
      ['another issuer', deviceJwt(key, clock, { iss: 'someone-else' })],
    ]
    for (const [name, jwt] of cases) {
      // No nonce: a 422 comes from the JWT itself (a missing nonce would be 400, and is checked after).
      const res = await exchange(fake, await jwt)
      expect([name, res.status]).toEqual([name, 422])
    }
    // HS256 with the public key as the secret: not EdDSA, refused.
    const hs = await new SignJWT({
      aud: 'plex.tv',
      iss: CLIENT_ID,
      iat,
      exp: iat + 300,
      nonce: await nonce(fake),
    })
      .setProtectedHeader({ kid: key.kid, alg: 'HS256' })
      .sign(new TextEncoder().encode(key.publicJwk.x))
    expect((await exchange(fake, hs)).status).toBe(422)
    expect((await exchange(fake, 'garbage')).status).toBe(400)
    expect((await fake.fetch(`${CLIENTS}/auth/token`, json({ jwt: 42 }))).status).toBe(400)
  })
})

describe('Plex JWTs on plex.tv', () => {
  it('retire the device’s legacy tokens, the one that registered the key too; other devices keep theirs', async () => {
    const { fake, clock } = setup()
    const device = { clientIdentifier: CLIENT_ID, product: 'Tests' }
    const sameDevice = fake.issueToken('alice', device)
    const otherDevice = fake.issueToken('alice', { clientIdentifier: 'another-device' })
    const key = await newKey()
    expect((await register(fake, key, ALICE_TOKEN)).status).toBe(201)
    // Registering alone retires nothing.
    expect(await status(fake, '/api/v2/user', ALICE_TOKEN)).toBe(200)
    const jwt = await refresh(fake, key, clock)
    expect(await status(fake, '/api/v2/user', ALICE_TOKEN)).toBe(422)
    expect(await status(fake, '/api/v2/ping', ALICE_TOKEN)).toBe(401)
    expect(await status(fake, '/api/v2/user', sameDevice)).toBe(422)
    expect(await status(fake, '/api/v2/user', otherDevice)).toBe(200)
    expect(await status(fake, '/api/v2/user', jwt)).toBe(200)
    expect(
      fake
        .devices('alice')
        .map((d) => d.clientIdentifier)
        .sort(),
    ).toEqual(['another-device', CLIENT_ID])
  })

  it('498 once expired, on every route; a refresh after expiry gives a working JWT', async () => {
    const { fake, clock } = setup()
    const key = await newKey()
    await register(fake, key)
    const jwt = await refresh(fake, key, clock)
    clock.now += PLEX_JWT_LIFETIME_MS - 1000
    expect(await status(fake, '/api/v2/user', jwt)).toBe(200)
    clock.now += 1000
    for (const path of ['/api/v2/user', '/api/v2/ping', '/api/v2/resources', '/api/v2/home/users']) {
      const res = await fake.fetch(`https://plex.tv${path}`, {
        headers: plexHeaders({ 'x-plex-token': jwt }),
      })
      expect([path, await errorOf(res)]).toEqual([
        path,
        { status: 498, body: { errors: [PLEX_TV_ERRORS.tokenExpired] } },
      ])
    }
    const fresh = await refresh(fake, key, clock)
    expect(await status(fake, '/api/v2/user', fresh)).toBe(200)
    // Sign-out revokes a JWT like any token.
    const signOut = await fake.fetch('https://plex.tv/api/v2/users/signout', {
      method: 'DELETE',
      headers: plexHeaders({ 'x-plex-token': fresh }),
    })
    expect(signOut.status).toBe(204)
    expect(await status(fake, '/api/v2/ping', fresh)).toBe(401)
  })
})
