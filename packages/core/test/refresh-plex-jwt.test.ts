import { base64url, decodeJwt, importJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  createPlexClient,
  DEFAULT_PLEX_JWT_SCOPE,
  generateDeviceKey,
  type PlexDeviceKey,
  refreshPlexJwt,
} from '../src/index.ts'
import { CLIENT_ID, everythingPrintable, PRODUCT, plexErrorOf, type Setup, setup } from './helpers.ts'

async function registeredKey({ options, alice }: Setup): Promise<PlexDeviceKey> {
  const deviceKey = await generateDeviceKey()
  await createPlexClient(options).registerDeviceKey({ token: alice.token, deviceKey })
  return deviceKey
}

describe('refreshPlexJwt', () => {
  it('README example: GET /api/v2/auth/nonce, then POST /api/v2/auth/token with a device JWT carrying it', async () => {
    const world = setup()
    const { fake } = world
    const deviceKey = await registeredKey(world)
    fake.requests.length = 0
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const { token, expiresAt } = await plex.refreshPlexJwt({ deviceKey })

    const headers = {
      accept: 'application/json',
      'x-plex-client-identifier': CLIENT_ID,
      'x-plex-product': PRODUCT,
    }
    const jwt = JSON.parse(fake.requests[1]?.body ?? '{}').jwt as string
    expect(fake.requests).toEqual([
      { method: 'GET', url: 'https://clients.plex.tv/api/v2/auth/nonce', headers, body: '' },
      {
        method: 'POST',
        url: 'https://clients.plex.tv/api/v2/auth/token',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ jwt }),
      },
    ])
    const { payload } = await jwtVerify(jwt, await importJWK(deviceKey.publicJwk, 'EdDSA'), {
      audience: 'plex.tv',
      issuer: CLIENT_ID,
    })
    expect(payload).toMatchObject({ nonce: expect.any(String), scope: DEFAULT_PLEX_JWT_SCOPE })
    expect(DEFAULT_PLEX_JWT_SCOPE).toBe('username,email,friendly_name')

    const claims = decodeJwt(token)
    expect(claims).toMatchObject({
      nonce: payload.nonce,
      thumbprint: deviceKey.kid,
      user: { username: 'alice', email: 'alice@example.com', friendly_name: 'Alice' },
    })
    expect(expiresAt).toBe(new Date((claims.exp ?? 0) * 1000).toISOString())
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000)
    expect((await plex.getTokenDetails({ token })).username).toBe('alice')
  })

  it('asks for the scope it is given', async () => {
    const world = setup()
    const deviceKey = await registeredKey(world)
    const { token } = await refreshPlexJwt({ ...world.options, deviceKey, scope: 'joinedAt' })
    expect(decodeJwt(token).user).toEqual({
      id: world.alice.id,
      uuid: world.alice.uuid,
      joinedAt: world.alice.joinedAt,
    })
    await plexErrorOf(refreshPlexJwt({ ...world.options, deviceKey, scope: ' ' }), 'invalid_input')
  })

  it('works after the last JWT expired; the expired one is token_expired (498)', async () => {
    const clock = { now: Date.now() - 8 * 24 * 3600 * 1000 }
    const world = setup({ now: () => clock.now })
    const deviceKey = await registeredKey(world)
    // The fake's clock runs 8 days behind: the device JWT must be signed on its time.
    const old = await refreshPlexJwt({ ...world.options, deviceKey }).catch((error) => error)
    expect(old).toMatchObject({ code: 'unauthorized', status: 422 })
    clock.now = Date.now()
    const first = await refreshPlexJwt({ ...world.options, deviceKey })
    clock.now += 7 * 24 * 3600 * 1000
    const plex = createPlexClient(world.options)
    const expired = await plexErrorOf(plex.ping({ token: first.token }), 'token_expired')
    expect(expired.status).toBe(498)
    clock.now = Date.now()
    const second = await refreshPlexJwt({ ...world.options, deviceKey })
    await plex.ping({ token: second.token })
  })

  // clambin/mediaclients plex/plextv/errors.go: code 1097 "jwk missing" for a key plex.tv does not hold.
  it('an unregistered key is unauthorized (plex code 1097); rate-limited nonces are rate_limited', async () => {
    const world = setup({ nonceRateLimit: { limit: 1, windowMs: 60_000 } })
    const stranger = await generateDeviceKey()
    const error = await plexErrorOf(refreshPlexJwt({ ...world.options, deviceKey: stranger }), 'unauthorized')
    expect(error.plexErrors[0]?.code).toBe(1097)
    const limited = await plexErrorOf(
      refreshPlexJwt({ ...world.options, deviceKey: stranger, retry: false }),
      'rate_limited',
    )
    expect(limited.plexErrors[0]?.code).toBe(1003)
  })

  it('retries the nonce GET, never the token POST, and never shows the device JWT in an error', async () => {
    const world = setup()
    const { fake, options } = world
    const deviceKey = await registeredKey(world)
    fake.requests.length = 0
    fake.inject({ kind: 'status', status: 503, times: 1, path: '/api/v2/auth/nonce' })
    fake.inject({
      kind: 'status',
      status: 503,
      times: 1,
      path: '/api/v2/auth/token',
      // A hostile or broken upstream echoing the request back.
      body: { errors: [{ message: 'echo', status: 503 }] },
    })
    await plexErrorOf(refreshPlexJwt({ ...options, deviceKey }), 'upstream_error')
    expect(fake.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      'GET /api/v2/auth/nonce',
      'GET /api/v2/auth/nonce',
      'POST /api/v2/auth/token',
    ])

    const echo = async (url: string, init: RequestInit): Promise<Response> => {
      if (url.endsWith('/nonce')) return fake.fetch(url, init)
      throw new TypeError(`socket closed while sending ${String(init.body)}`)
    }
    const failed = await plexErrorOf(refreshPlexJwt({ ...options, fetch: echo, deviceKey }), 'network_error')
    expect(everythingPrintable(failed)).not.toMatch(/eyJ/)
  })

  it('a removed device (Authorized Devices, Remove) is unauthorized (1097) at its next refresh', async () => {
    const world = setup()
    const deviceKey = await registeredKey(world)
    await refreshPlexJwt({ ...world.options, deviceKey })
    expect(world.fake.removeDevice(CLIENT_ID)).toBe(true)
    const error = await plexErrorOf(refreshPlexJwt({ ...world.options, deviceKey }), 'unauthorized')
    expect(error.plexErrors[0]?.code).toBe(1097)
  })

  it('invalid_response when auth_token is not a JWT with an exp; invalid_input for a bad key, before any request', async () => {
    const world = setup()
    const { fake, options } = world
    const deviceKey = await registeredKey(world)
    for (const token of ['not-a-jwt', `${btoa('{"alg":"EdDSA"}')}.${btoa('{"iss":"plex.tv"}')}.c2ln`]) {
      fake.inject({
        kind: 'status',
        status: 200,
        times: 1,
        path: '/api/v2/auth/token',
        body: { auth_token: token },
      })
      const error = await plexErrorOf(refreshPlexJwt({ ...options, deviceKey }), 'invalid_response')
      expect(error.message).toBe('POST /api/v2/auth/token: auth_token is not a JWT with an exp')
    }
    fake.requests.length = 0
    await plexErrorOf(refreshPlexJwt({ ...options, deviceKey: { kid: 'k' } as never }), 'invalid_input')
    expect(fake.requests).toHaveLength(0)
  })

  it('invalid_response, never a crash, for an exp that is a string, not a date, or in a payload that is not JSON', async () => {
    const world = setup()
    const { fake, options } = world
    const deviceKey = await registeredKey(world)
    const jwtWith = (payload: string): string =>
      `${base64url.encode('{"alg":"EdDSA"}')}.${base64url.encode(payload)}.c2ln`
    const tokens = [
      jwtWith('{"exp":"1767225600"}'),
      jwtWith('{"exp":1e300}'),
      jwtWith('{"exp":-1}'),
      jwtWith('[1767225600]'),
      jwtWith('not json'),
      `${base64url.encode('{"alg":"EdDSA"}')}.%%%.c2ln`,
      `${jwtWith('{"exp":1767225600}')}.extra.part`,
    ]
    for (const token of tokens) {
      fake.inject({
        kind: 'status',
        status: 200,
        times: 1,
        path: '/api/v2/auth/token',
        body: { auth_token: token },
      })
      const error = await plexErrorOf(refreshPlexJwt({ ...options, deviceKey }), 'invalid_response')
      expect(error.message).toBe('POST /api/v2/auth/token: auth_token is not a JWT with an exp')
    }
  })
})
