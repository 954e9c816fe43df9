import { describe, expect, it } from 'vitest'
import { createPin, createPlexClient, generateDeviceKey } from '../src/index.ts'
import { CLIENT_ID, PRODUCT, plexErrorOf, setup } from './helpers.ts'

describe('createPin', () => {
  it('README example: POST https://plex.tv/api/v2/pins?strong=true without a token', async () => {
    const { fake } = setup()
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const pin = await plex.createPin()

    expect(pin).toMatchObject({ id: expect.any(Number), code: expect.any(String), authToken: null })
    expect(pin.expiresIn).toBeGreaterThan(0)
    expect(Date.parse(pin.expiresAt)).toBeGreaterThan(Date.now())
    expect(fake.requests).toEqual([
      {
        method: 'POST',
        url: 'https://plex.tv/api/v2/pins?strong=true',
        headers: {
          accept: 'application/json',
          'x-plex-client-identifier': CLIENT_ID,
          'x-plex-product': PRODUCT,
        },
        body: '',
      },
    ])
  })

  it('keeps unknown fields (location, qr, ...) and omits strong=true when asked for a short code', async () => {
    const { fake, options } = setup()
    const pin = await createPin({ ...options, token: 'never-sent', strong: false })
    expect(pin.location).toBeDefined()
    expect(pin.qr).toEqual(expect.any(String))
    expect(fake.requests[0]?.url).toBe('https://plex.tv/api/v2/pins')
    expect(fake.requests[0]?.headers['x-plex-token']).toBeUndefined()
  })

  it('is never retried (each call makes a PIN) and maps 429 to rate_limited', async () => {
    const { fake, options } = setup({ rateLimit: { limit: 1, windowMs: 60_000 } })
    await createPin(options)
    const error = await plexErrorOf(createPin({ ...options, retry: { retries: 3 } }), 'rate_limited')
    expect(error.plexErrors[0]?.code).toBe(1003)
    expect(error.retryAfter).toBeUndefined()
    expect(fake.requests).toHaveLength(2)
  })

  it('README example with a key: POST https://clients.plex.tv/api/v2/pins with the public JWK as JSON', async () => {
    const { fake } = setup()
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const deviceKey = await plex.generateDeviceKey()
    const pin = await plex.createPin({ deviceKey })

    expect(pin).toMatchObject({ id: expect.any(Number), code: expect.any(String), authToken: null })
    const { x } = deviceKey.publicJwk
    expect(fake.requests).toEqual([
      {
        method: 'POST',
        url: 'https://clients.plex.tv/api/v2/pins',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'x-plex-client-identifier': CLIENT_ID,
          'x-plex-product': PRODUCT,
        },
        body: `{"jwk":{"kty":"OKP","crv":"Ed25519","x":"${x}","kid":"${deviceKey.kid}","alg":"EdDSA"},"strong":true}`,
      },
    ])
    // Never the private key.
    expect(fake.requests[0]?.body).not.toContain(deviceKey.privateJwk.d)
  })

  it('with a key: strong: false goes into the body; clientsUrl is honoured and checked', async () => {
    const { fake, options } = setup({ plexTvUrl: 'https://plex.example' })
    const deviceKey = await generateDeviceKey()
    await createPin({ ...options, deviceKey, strong: false, clientsUrl: 'https://plex.example/' })
    expect(fake.requests[0]?.url).toBe('https://plex.example/api/v2/pins')
    expect(JSON.parse(fake.requests[0]?.body ?? '')).toMatchObject({ strong: false })
    const error = await plexErrorOf(
      createPin({ ...options, deviceKey, clientsUrl: 'ftp://x' }),
      'invalid_input',
    )
    expect(error.message).toMatch(/^clientsUrl /)
    expect(fake.requests).toHaveLength(1)
  })

  it('with a key another device holds: key_already_registered (422 thumbprint already taken)', async () => {
    const { options, alice } = setup()
    const deviceKey = await generateDeviceKey()
    const plex = createPlexClient({ ...options, clientIdentifier: 'another-device' })
    await plex.registerDeviceKey({ token: alice.token, deviceKey })
    const error = await plexErrorOf(createPin({ ...options, deviceKey }), 'key_already_registered')
    expect(error.status).toBe(422)
  })
})
