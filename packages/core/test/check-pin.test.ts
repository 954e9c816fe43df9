import { describe, expect, it } from 'vitest'
import { checkPin, createPin, createPlexClient } from '../src/index.ts'
import { CLIENT_ID, PRODUCT, plexErrorOf, setup } from './helpers.ts'

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
})
