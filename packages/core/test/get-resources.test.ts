import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { resourcesSchema } from '../src/get-resources.ts'
import { createPlexClient, getResources } from '../src/index.ts'
import { CLIENT_ID, PRODUCT, plexErrorOf, setup } from './helpers.ts'

describe('getResources', () => {
  it('README example: GET https://plex.tv/api/v2/resources?includeHttps=1&includeRelay=1', async () => {
    const { fake, alice, mainServer, cabinServer } = setup()
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const servers = (await plex.getResources({ token: alice.token })).filter((resource) =>
      resource.provides.split(',').includes('server'),
    )

    expect(servers.map((server) => [server.name, server.clientIdentifier, server.owned])).toEqual([
      [mainServer.name, mainServer.id, true],
      [cabinServer.name, cabinServer.id, true],
    ])
    expect(servers[0]?.accessToken).toBe(alice.token)
    expect(servers[0]?.connections.map((connection) => connection.relay)).toEqual([false, false, true])
    expect(fake.requests).toEqual([
      {
        method: 'GET',
        url: 'https://plex.tv/api/v2/resources?includeHttps=1&includeRelay=1',
        headers: {
          accept: 'application/json',
          'x-plex-client-identifier': CLIENT_ID,
          'x-plex-product': PRODUCT,
          'x-plex-token': alice.token,
        },
        body: '',
      },
    ])
  })

  it('lists shared servers with their own access token, players too, unknown fields kept', async () => {
    const { options, bob, mainServer } = setup()
    const resources = await getResources({ ...options, token: bob.token })
    const shared = resources.find((resource) => resource.clientIdentifier === mainServer.id)
    expect(shared).toMatchObject({ owned: false, accessToken: 'BobShareAcc3ssT0k5nX', sourceTitle: 'alice' })
    expect(resources.some((resource) => resource.provides.includes('player'))).toBe(true)
  })

  it('turns a null accessToken into an absent one and defaults owned/connections', async () => {
    const { fake, options, alice } = setup()
    fake.inject({
      kind: 'status',
      status: 200,
      body: [{ name: 'TV', clientIdentifier: 'tv', provides: 'player', accessToken: null }],
      times: 1,
    })
    const [tv] = await getResources({ ...options, token: alice.token })
    expect(tv).toMatchObject({ name: 'TV', owned: false, connections: [] })
    expect(tv?.accessToken).toBeUndefined()
  })

  it('unauthorized for an unknown token; invalid_input without one', async () => {
    const { fake, options } = setup()
    await plexErrorOf(getResources({ ...options, token: 'nope' }), 'unauthorized')
    await plexErrorOf(getResources(options), 'invalid_input')
    expect(fake.requests).toHaveLength(1)
  })

  it('its schema refuses a device without name or clientIdentifier and drops connections without a uri', () => {
    expect(v.is(resourcesSchema, [{ name: 'x' }])).toBe(false)
    expect(v.is(resourcesSchema, [])).toBe(true)
    const [server] = v.parse(resourcesSchema, [
      {
        name: 'Den',
        clientIdentifier: 'abc',
        connections: [{ address: '10.0.0.5' }, { uri: 'https://a:1' }],
      },
    ])
    expect(server?.connections.map((connection) => connection.uri)).toEqual(['https://a:1'])
  })
})
