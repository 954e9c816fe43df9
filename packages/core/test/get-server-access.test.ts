import { describe, expect, it } from 'vitest'
import { accessFromResources, createPlexClient, getServerAccess, type PlexResource } from '../src/index.ts'
import { CLIENT_ID, PRODUCT, plexErrorOf, setup } from './helpers.ts'

const DANA = 'da4a000000000da4'

describe('getServerAccess', () => {
  it('README example: the user’s own resources (GET /api/v2/resources), no owner token', async () => {
    const { fake, alice, mainServer } = setup()
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const access = await plex.getServerAccess({ token: alice.token, servers: [mainServer.id] })

    expect(access).toEqual({
      role: 'owner',
      servers: [{ clientIdentifier: mainServer.id, name: "Alice's Plex", role: 'owner' }],
    })
    expect(fake.requests.map((r) => [r.method, r.url, r.headers['x-plex-token']])).toEqual([
      ['GET', 'https://plex.tv/api/v2/resources?includeHttps=1&includeRelay=1', alice.token],
    ])
  })

  it('owner, Home member, friend and stranger, each from their own token', async () => {
    const { fake, options, alice, bob, carol, mainServer, cabinServer } = setup()
    const servers = [mainServer.id]
    const dana = await createPlexClient(options).switchHomeUser({ token: alice.token, uuid: DANA })
    const roles = []
    for (const token of [alice.token, dana.authToken, bob.token, carol.token]) {
      roles.push((await getServerAccess({ ...options, token, servers })).role)
    }
    expect(roles).toEqual(['owner', 'home', 'friend', 'none'])
    // Bob is a friend on the main server only: asked about the cabin alone, he is no member.
    expect(await getServerAccess({ ...options, token: bob.token, servers: [cabinServer.id] })).toEqual({
      role: 'none',
      servers: [],
      reason: 'not_a_member',
    })
    // No servers named: every server the user reaches counts.
    const all = await getServerAccess({ ...options, token: alice.token })
    expect(all.servers.map((s) => s.clientIdentifier)).toEqual([mainServer.id, cabinServer.id])
    expect(fake.requests.every((r) => !r.url.includes('friends'))).toBe(true)
  })

  it('with ownerId, only the owner’s server counts: owner, Home member and friend still pass', async () => {
    const { options, alice, bob, carol, mainServer } = setup()
    const dana = await createPlexClient(options).switchHomeUser({ token: alice.token, uuid: DANA })
    const roles = []
    for (const token of [alice.token, dana.authToken, bob.token, carol.token]) {
      roles.push(
        (await getServerAccess({ ...options, token, servers: [mainServer.id], ownerId: alice.id })).role,
      )
    }
    expect(roles).toEqual(['owner', 'home', 'friend', 'none'])
    // Bob's own account is not the owner: nothing counts.
    expect((await getServerAccess({ ...options, token: alice.token, ownerId: bob.id })).role).toBe('none')
    await plexErrorOf(getServerAccess({ ...options, token: alice.token, ownerId: 0 }), 'invalid_input')
  })

  it('a token plex.tv refuses is an error, not an answer; bad servers are refused before any request', async () => {
    const { fake, options } = setup()
    await plexErrorOf(
      getServerAccess({ ...options, token: 'not-a-real-token', servers: ['x'] }),
      'unauthorized',
    )
    const before = fake.requests.length
    for (const servers of [[''], [' '], 'abc', [1]] as unknown[]) {
      await plexErrorOf(
        getServerAccess({ ...options, token: 't', servers: servers as string[] }),
        'invalid_input',
      )
    }
    expect(fake.requests.length).toBe(before)
  })
})

describe('accessFromResources', () => {
  const resource = (fields: Partial<PlexResource>): PlexResource => ({
    name: 'S',
    clientIdentifier: 'a',
    provides: 'server',
    owned: false,
    connections: [],
    ...fields,
  })

  it('fails closed, ignores players, keeps one entry per server with its best role', () => {
    expect(accessFromResources([])).toEqual({ role: 'none', servers: [], reason: 'not_a_member' })
    expect(
      accessFromResources([resource({ provides: 'client,player', owned: true, clientIdentifier: 'p' })]),
    ).toMatchObject({ role: 'none' })
    const access = accessFromResources(
      [
        resource({ clientIdentifier: 'a' }),
        resource({ clientIdentifier: 'a', home: true }),
        resource({ clientIdentifier: 'b', provides: 'player, server', owned: true, name: 'B' }),
      ],
      { servers: ['a'] },
    )
    expect(access).toEqual({ role: 'home', servers: [{ clientIdentifier: 'a', name: 'S', role: 'home' }] })
    expect(
      accessFromResources([resource({ clientIdentifier: 'b', owned: true })], { servers: [] }).role,
    ).toBe('owner')
  })
  it('a server under someone else’s account with the same (public) clientIdentifier is no access', () => {
    const lookAlike = resource({ clientIdentifier: 'main', owned: true })
    expect(accessFromResources([lookAlike], { servers: ['main'], ownerId: 1, userId: 2 }).role).toBe('none')
    expect(accessFromResources([lookAlike], { servers: ['main'], ownerId: 1, userId: 1 }).role).toBe('owner')
    const shared = resource({ clientIdentifier: 'main', ownerId: 3 })
    expect(accessFromResources([shared], { servers: ['main'], ownerId: 1 }).role).toBe('none')
    expect(accessFromResources([{ ...shared, ownerId: 1 }], { servers: ['main'], ownerId: 1 }).role).toBe(
      'friend',
    )
    // Without userId an owned server cannot be checked: it does not count.
    expect(accessFromResources([lookAlike], { servers: ['main'], ownerId: 1 }).role).toBe('none')
  })

  it('an odd `home` (null, 1, "true") never fails the list: it counts as not said', async () => {
    for (const home of [null, 1, 'true']) {
      const body = JSON.stringify([
        { name: 'P', clientIdentifier: 'p', provides: 'player', home },
        { name: 'S', clientIdentifier: 's', provides: 'server', owned: false, home },
      ])
      const fetch = async () => new Response(body, { headers: { 'content-type': 'application/json' } })
      const access = await getServerAccess({ clientIdentifier: CLIENT_ID, fetch, token: 't' })
      expect(access).toEqual({
        role: 'friend',
        servers: [{ clientIdentifier: 's', name: 'S', role: 'friend' }],
      })
    }
  })
})
