import { describe, expect, it } from 'vitest'
import { createPlexClient, generateDeviceKey, registerDeviceKey } from '../src/index.ts'
import { CLIENT_ID, PRODUCT, plexErrorOf, setup } from './helpers.ts'

describe('registerDeviceKey', () => {
  it('README example: POST https://clients.plex.tv/api/v2/auth/jwk with the token and the JWK for signing', async () => {
    const { fake, alice } = setup()
    const token = alice.token
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const deviceKey = await plex.generateDeviceKey()
    await expect(plex.registerDeviceKey({ token, deviceKey })).resolves.toBeUndefined()

    const { x } = deviceKey.publicJwk
    expect(fake.requests).toEqual([
      {
        method: 'POST',
        url: 'https://clients.plex.tv/api/v2/auth/jwk',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'x-plex-client-identifier': CLIENT_ID,
          'x-plex-product': PRODUCT,
          'x-plex-token': token,
        },
        body: `{"jwk":{"kty":"OKP","crv":"Ed25519","x":"${x}","kid":"${deviceKey.kid}","alg":"EdDSA","use":"sig"}}`,
      },
    ])
    expect(fake.deviceKeys('alice')).toMatchObject([
      { thumbprint: deviceKey.kid, device: { clientIdentifier: CLIENT_ID } },
    ])
    // The legacy token lives on until a JWT is issued for this device, then it is retired.
    await plex.getTokenDetails({ token })
    await plex.refreshPlexJwt({ deviceKey })
    await plexErrorOf(plex.getTokenDetails({ token }), 'unauthorized')
  })

  it('key_already_registered when another device holds the key; the same device may register it again', async () => {
    const { options, alice } = setup()
    const deviceKey = await generateDeviceKey()
    await registerDeviceKey({ ...options, token: alice.token, deviceKey })
    await registerDeviceKey({ ...options, token: alice.token, deviceKey })
    const error = await plexErrorOf(
      registerDeviceKey({ ...options, clientIdentifier: 'another-device', token: alice.token, deviceKey }),
      'key_already_registered',
    )
    expect(error.plexErrors).toEqual([{ message: 'thumbprint already taken', status: 422 }])
  })

  it('unauthorized for a bad token; needs a token and a key before any request; never retried', async () => {
    const { fake, options, alice } = setup()
    const deviceKey = await generateDeviceKey()
    await plexErrorOf(registerDeviceKey({ ...options, token: 'not-a-token', deviceKey }), 'unauthorized')
    await plexErrorOf(registerDeviceKey({ ...options, deviceKey }), 'invalid_input')
    await plexErrorOf(
      registerDeviceKey({ ...options, token: alice.token, deviceKey: {} as never }),
      'invalid_input',
    )
    expect(fake.requests).toHaveLength(1)
    fake.inject({ kind: 'status', status: 503, times: 1 })
    await plexErrorOf(
      registerDeviceKey({ ...options, token: alice.token, deviceKey, retry: { retries: 3 } }),
      'upstream_error',
    )
    expect(fake.requests).toHaveLength(2)
  })
})
