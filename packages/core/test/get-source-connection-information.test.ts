import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { sourceConnectionSchema } from '../src/get-source-connection-information.ts'
import { createPlexClient, generateDeviceKey, getSourceConnectionInformation } from '../src/index.ts'
import { CLIENT_ID, everythingPrintable, PRODUCT, plexErrorOf, setup } from './helpers.ts'

describe('getSourceConnectionInformation', () => {
  it('README example: GET {server}/security/resources?source=<percent-encoded>', async () => {
    const { fake, alice, mainServer, cabinServer } = setup()
    const plex = createPlexClient({
      clientIdentifier: CLIENT_ID,
      product: PRODUCT,
      fetch: fake.fetch,
      serverUrl: mainServer.url,
      token: alice.token,
    })
    const info = await plex.getSourceConnectionInformation({ source: `server://${cabinServer.id}` })

    expect(info).toMatchObject({ name: 'Cabin', clientIdentifier: cabinServer.id, accessToken: alice.token })
    expect(info.connections).toEqual([
      expect.objectContaining({
        uri: cabinServer.url,
        local: true,
        relay: false,
        protocol: 'https',
        port: 32400,
      }),
      expect.objectContaining({
        uri: 'http://10.0.0.7:32400',
        protocol: 'http',
        port: 32400,
        local: true,
        relay: false,
      }),
    ])
    expect(fake.requests).toEqual([
      {
        method: 'GET',
        url: `${mainServer.url}/security/resources?source=server%3A%2F%2F${cabinServer.id}`,
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

  it('maps the single Device object, every connection, refresh=1 and provider:// sources', async () => {
    const { fake, options, alice, mainServer } = setup()
    const base = { ...options, serverUrl: mainServer.url, token: alice.token }
    const info = await getSourceConnectionInformation({
      ...base,
      source: `server://${mainServer.id}`,
      refresh: true,
    })
    expect(info.connections.map((connection) => connection.relay)).toEqual([false, false, true])
    expect(fake.requests[0]?.url).toBe(
      `${mainServer.url}/security/resources?source=server%3A%2F%2F${mainServer.id}&refresh=1`,
    )
    const provider = await getSourceConnectionInformation({
      ...base,
      source: 'provider://tv.plex.provider.epg',
    })
    expect(provider.clientIdentifier).toBe('tv.plex.provider.epg')
    expect(fake.requests[1]?.url).toBe(
      `${mainServer.url}/security/resources?source=provider%3A%2F%2Ftv.plex.provider.epg`,
    )
  })

  it('keeps unknown Device fields, accepts an array Device and a missing one', async () => {
    const { fake, options, alice, mainServer } = setup()
    const base = { ...options, serverUrl: mainServer.url, token: alice.token, source: 'server://x' }
    const device = { name: 'n', futureField: 'kept', Connection: [{ uri: 'https://a:1', extra: 1 }] }
    fake.inject({
      kind: 'status',
      status: 200,
      body: { MediaContainer: { size: 1, Device: device } },
      times: 1,
    })
    const info = await getSourceConnectionInformation(base)
    expect(info).toEqual({
      name: 'n',
      futureField: 'kept',
      connections: [{ uri: 'https://a:1', local: false, relay: false, extra: 1 }],
    })
    fake.inject({
      kind: 'status',
      status: 200,
      body: { MediaContainer: { size: 1, Device: [device] } },
      times: 1,
    })
    expect((await getSourceConnectionInformation(base)).name).toBe('n')
    fake.inject({ kind: 'status', status: 200, body: { MediaContainer: { size: 0 } }, times: 1 })
    expect(await getSourceConnectionInformation(base)).toEqual({ connections: [] })
  })

  it('forbidden (HTML 403) for a token that is not the admin', async () => {
    const { options, bob, mainServer } = setup()
    const share = 'BobShareAcc3ssT0k5nX'
    expect(bob.login).toBe('bob')
    await plexErrorOf(
      getSourceConnectionInformation({
        ...options,
        serverUrl: mainServer.url,
        token: share,
        source: 'server://x',
      }),
      'forbidden',
    )
  })

  it('not_found (HTML 404) for an unknown source; unauthorized for an unknown token', async () => {
    const { options, alice, carol, mainServer } = setup()
    const base = { ...options, serverUrl: mainServer.url, source: 'server://no-such-server' }
    const error = await plexErrorOf(
      getSourceConnectionInformation({ ...base, token: alice.token }),
      'not_found',
    )
    expect(error.plexErrors).toEqual([])
    await plexErrorOf(getSourceConnectionInformation({ ...base, token: carol.token }), 'unauthorized')
  })

  // anthonycaccese/240-MP#240: resources asked with a Plex JWT give the owned server that JWT as its
  // accessToken, and the server refuses it. The core refuses first, so no JWT ever reaches a server.
  it('jwt_not_accepted_by_server for the owned server’s accessToken when resources were asked with a JWT', async () => {
    const { fake, options, alice, mainServer } = setup()
    const plex = createPlexClient(options)
    const deviceKey = await generateDeviceKey()
    await plex.registerDeviceKey({ token: alice.token, deviceKey })
    const { token: jwt } = await plex.refreshPlexJwt({ deviceKey })
    const owned = (await plex.getResources({ token: jwt })).find((r) => r.clientIdentifier === mainServer.id)
    expect(owned?.accessToken).toBe(jwt)
    const before = fake.requests.length
    const error = await plexErrorOf(
      plex.getSourceConnectionInformation({
        serverUrl: mainServer.url,
        token: owned?.accessToken,
        source: `server://${mainServer.id}`,
      }),
      'jwt_not_accepted_by_server',
    )
    expect(everythingPrintable(error)).not.toContain(jwt)
    expect(fake.requests.length).toBe(before)
  })

  it('invalid_input before any request: source without server:// or provider://', async () => {
    const { fake, options, alice, mainServer } = setup()
    const base = { ...options, serverUrl: mainServer.url, token: alice.token }
    for (const source of ['', 'abc', 'http://abc', 'server://', 'server:/abc']) {
      await plexErrorOf(getSourceConnectionInformation({ ...base, source }), 'invalid_input')
    }
    expect(fake.requests).toHaveLength(0)
  })

  it('its schema drops a connection without a uri and keeps the others', () => {
    const answer = {
      MediaContainer: {
        size: 1,
        Device: {
          name: 'Den',
          Connection: [
            { protocol: 'https', address: '10.0.0.5', port: 32400 },
            { uri: 'https://10-0-0-5.x.plex.direct:32400' },
          ],
        },
      },
    }
    const device = v.parse(sourceConnectionSchema, answer).MediaContainer.Device
    expect(Array.isArray(device) ? undefined : device?.Connection).toEqual([
      { uri: 'https://10-0-0-5.x.plex.direct:32400', local: false, relay: false },
    ])
  })
})
