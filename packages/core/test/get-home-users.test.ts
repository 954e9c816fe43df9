import { describe, expect, it } from 'vitest'
import { createPlexClient, getHomeUsers } from '../src/index.ts'
import { CLIENT_ID, PRODUCT, plexErrorOf, setup } from './helpers.ts'

describe('getHomeUsers', () => {
  it('README example: GET https://plex.tv/api/v2/home/users lists the Home’s members', async () => {
    const { fake, alice } = setup()
    const token = alice.token
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const users = await plex.getHomeUsers({ token })
    const kids = users.find((user) => user.title === 'Kids')

    expect(kids).toMatchObject({
      uuid: 'k1d5000000000k1d',
      username: null,
      email: null,
      restricted: true,
      restrictionProfile: 'little_kid',
      admin: false,
      guest: false,
      protected: true,
    })
    expect(users.map((user) => [user.title, user.admin, user.protected])).toEqual([
      ['Alice', true, false],
      ['Kids', false, true],
      ['Dana', false, false],
    ])
    expect(users[0]).toMatchObject({
      username: 'alice',
      email: 'alice@example.com',
      updatedAt: expect.any(Number),
    })
    expect(fake.requests).toEqual([
      {
        method: 'GET',
        url: 'https://plex.tv/api/v2/home/users',
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

  it('[] for an account without a Home (404); other errors stay errors', async () => {
    const { fake, options, bob } = setup()
    await expect(getHomeUsers({ ...options, token: bob.token })).resolves.toEqual([])
    await plexErrorOf(getHomeUsers({ ...options, token: 'not-a-token' }), 'unauthorized')
    await plexErrorOf(getHomeUsers(options), 'invalid_input')
    fake.inject({ kind: 'status', status: 500, times: 1 })
    await plexErrorOf(getHomeUsers({ ...options, token: bob.token }), 'upstream_error')
  })

  it('open enums and absent fields: defaults for the flags, unknown values kept', async () => {
    const { fake, options, alice } = setup()
    fake.inject({
      kind: 'status',
      status: 200,
      times: 1,
      body: { users: [{ id: 1, uuid: 'u', title: 'New', restrictionProfile: 'grown_up_kid', avatar: 'x' }] },
    })
    expect(await getHomeUsers({ ...options, token: alice.token })).toEqual([
      {
        id: 1,
        uuid: 'u',
        title: 'New',
        username: null,
        email: null,
        restricted: false,
        restrictionProfile: 'grown_up_kid',
        admin: false,
        guest: false,
        protected: false,
        avatar: 'x',
      },
    ])
    fake.inject({ kind: 'status', status: 200, times: 1, body: { users: [{ id: 'one' }] } })
    const error = await plexErrorOf(getHomeUsers({ ...options, token: alice.token }), 'invalid_response')
    expect(error.message).toMatch(/users\.0\.id/)
  })
})
