import { describe, expect, it } from 'vitest'
import { createPlexClient, ping } from '../src/index.ts'
import { CLIENT_ID, PRODUCT, plexErrorOf, setup } from './helpers.ts'

describe('ping', () => {
  it('README example: GET https://plex.tv/api/v2/ping with the token keeps it alive', async () => {
    const { fake, alice } = setup()
    const token = alice.token
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    await expect(plex.ping({ token })).resolves.toBeUndefined()

    expect(fake.requests).toEqual([
      {
        method: 'GET',
        url: 'https://plex.tv/api/v2/ping',
        headers: {
          accept: 'application/json',
          'x-plex-client-identifier': CLIENT_ID,
          'x-plex-product': PRODUCT,
          'x-plex-token': token,
        },
        body: '',
      },
    ])
  })

  it('unauthorized for a revoked token; needs a token; is a GET, so retried on 503', async () => {
    const { fake, options, alice } = setup()
    fake.revokeToken(alice.token)
    await plexErrorOf(ping({ ...options, token: alice.token }), 'unauthorized')
    await plexErrorOf(ping(options), 'invalid_input')
    const token = fake.issueToken('bob')
    fake.inject({ kind: 'status', status: 503, times: 2, path: '/api/v2/ping' })
    await ping({ ...options, token })
    expect(fake.requests).toHaveLength(4)
  })
})
