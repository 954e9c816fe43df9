import { decodeJwt, importJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { checkPin, createPin, createPlexClient, generateDeviceKey, verifyPlexJwt } from '../src/index.ts'
import { CLIENT_ID, everythingPrintable, PRODUCT, plexErrorOf, setup } from './helpers.ts'

describe('checkPin', () => {
  it('README example: GET https://plex.tv/api/v2/pins/{id}; authToken appears once approved', async () => {
    const { fake, alice } = setup()
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const pin = await plex.createPin()
    expect((await plex.checkPin({ id: pin.id })).authToken).toBeNull()
    fake.approvePin(pin.id, 'alice')
    const { authToken } = await plex.checkPin({ id: pin.id })

    expect(authToken).toEqual(expect.any(String))
    expect((await plex.getTokenDetails({ token: authToken ?? '' })).uuid).toBe(alice.uuid)
    expect(fake.requests[1]).toEqual({
      method: 'GET',
      url: `https://plex.tv/api/v2/pins/${pin.id}`,
      headers: {
        accept: 'application/json',
        'x-plex-client-identifier': CLIENT_ID,
        'x-plex-product': PRODUCT,
      },
      body: '',
    })
  })

  it('not_found (404, code 1020) once expired, or for another client identifier', async () => {
    const { fake, options } = setup()
    const pin = await createPin(options)
    await plexErrorOf(checkPin({ ...options, clientIdentifier: 'someone-else', id: pin.id }), 'not_found')
    fake.expirePin(pin.id)
    const error = await plexErrorOf(checkPin({ ...options, id: String(pin.id) }), 'not_found')
    expect(error.plexErrors[0]?.code).toBe(1020)
  })

  it('is a GET, so it is retried on 503', async () => {
    const { fake, options } = setup()
    const pin = await createPin(options)
    fake.inject({ kind: 'status', status: 503, times: 2, path: `/api/v2/pins/${pin.id}` })
    await expect(checkPin({ ...options, id: pin.id })).resolves.toMatchObject({ id: pin.id })
    expect(fake.requests).toHaveLength(4)
  })

  it('invalid_input for an id that is not a number', async () => {
    const { fake, options } = setup()
    await plexErrorOf(checkPin({ ...options, id: '../user' }), 'invalid_input')
    await plexErrorOf(checkPin({ ...options, id: '' }), 'invalid_input')
    expect(fake.requests).toHaveLength(0)
  })

  it('README example with a key: GET https://clients.plex.tv/api/v2/pins/{id}?deviceJWT=…; authToken is a Plex JWT', async () => {
    const { fake } = setup()
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const deviceKey = await plex.generateDeviceKey()
    const pin = await plex.createPin({ deviceKey })
    expect((await plex.checkPin({ id: pin.id, deviceKey })).authToken).toBeNull()
    fake.approvePin(pin.id, 'alice')
    const { authToken } = await plex.checkPin({ id: pin.id, deviceKey })

    const request = fake.requests[2]
    const url = new URL(request?.url ?? '')
    expect(`${url.origin}${url.pathname}`).toBe(`https://clients.plex.tv/api/v2/pins/${pin.id}`)
    expect([...url.searchParams.keys()]).toEqual(['deviceJWT'])
    expect(request).toEqual({
      method: 'GET',
      url: request?.url,
      headers: {
        accept: 'application/json',
        'x-plex-client-identifier': CLIENT_ID,
        'x-plex-product': PRODUCT,
      },
      body: '',
    })
    // The device JWT is signed by the device key, and is a new one at each poll.
    const deviceJwt = url.searchParams.get('deviceJWT') ?? ''
    const { payload } = await jwtVerify(deviceJwt, await importJWK(deviceKey.publicJwk, 'EdDSA'), {
      audience: 'plex.tv',
      issuer: CLIENT_ID,
    })
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300)
    expect(decodeJwt(authToken ?? '')).toMatchObject({ iss: 'plex.tv', thumbprint: deviceKey.kid })
    const claims = await verifyPlexJwt({
      clientIdentifier: CLIENT_ID,
      fetch: fake.fetch,
      token: authToken ?? '',
      deviceKey,
    })
    expect(claims.user.username).toBe('alice')
    expect((await plex.getTokenDetails({ token: authToken ?? '' })).username).toBe('alice')
  })

  it('with another key: unauthorized (422), and the device JWT never shows in an error', async () => {
    const { fake, options } = setup()
    const deviceKey = await generateDeviceKey()
    const pin = await createPin({ ...options, deviceKey })
    fake.approvePin(pin.id, 'alice')
    const stranger = { ...(await generateDeviceKey()), kid: deviceKey.kid }
    const error = await plexErrorOf(checkPin({ ...options, id: pin.id, deviceKey: stranger }), 'unauthorized')
    expect(error.status).toBe(422)

    const leaky = async (url: string): Promise<Response> => {
      throw new TypeError(`could not reach ${url}`)
    }
    const failed = await plexErrorOf(
      checkPin({ ...options, fetch: leaky, retry: false, id: pin.id, deviceKey }),
      'network_error',
    )
    expect(everythingPrintable(failed)).not.toMatch(/eyJ/)
    expect(everythingPrintable(failed)).toContain('[redacted]')
  })
})
