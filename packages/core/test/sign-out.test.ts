import { describe, expect, it } from 'vitest'
import { createPlexClient, signOut } from '../src/index.ts'
import { CLIENT_ID, PRODUCT, plexErrorOf, setup } from './helpers.ts'

describe('signOut', () => {
  it('README example: DELETE https://plex.tv/api/v2/users/signout revokes the token', async () => {
    const { fake } = setup()
    const token = fake.issueToken('alice')
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    await expect(plex.signOut({ token })).resolves.toBeUndefined()

    expect(fake.requests).toEqual([
      {
        method: 'DELETE',
        url: 'https://plex.tv/api/v2/users/signout',
        headers: {
          accept: 'application/json',
          'x-plex-client-identifier': CLIENT_ID,
          'x-plex-product': PRODUCT,
          'x-plex-token': token,
        },
        body: '',
      },
    ])
    await plexErrorOf(plex.getTokenDetails({ token }), 'unauthorized')
  })

  it('is never retried, and needs a token', async () => {
    const { fake, options } = setup()
    const token = fake.issueToken('alice')
    fake.inject({ kind: 'status', status: 503, times: 1 })
    await plexErrorOf(signOut({ ...options, token, retry: { retries: 3 } }), 'upstream_error')
    expect(fake.requests).toHaveLength(1)
    await plexErrorOf(signOut(options), 'invalid_input')
    expect(fake.requests).toHaveLength(1)
  })
})
