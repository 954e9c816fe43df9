import { describe, expect, it } from 'vitest'
import { defaultSeed, PLEX_TV_ERRORS } from '../src/index.ts'
import { ALICE_TOKEN, BOB_TOKEN, CLIENT_ID, plexHeaders, setup } from './helpers.ts'

const KIDS = 'k1d5000000000k1d'
const DANA = 'da4a000000000da4'

type Fake = ReturnType<typeof setup>['fake']

async function homeUsers(fake: Fake, token: string) {
  return fake.fetch('https://plex.tv/api/v2/home/users', { headers: plexHeaders({ 'x-plex-token': token }) })
}

async function switchTo(fake: Fake, token: string, uuid: string, pin?: string, clientIdentifier = CLIENT_ID) {
  const query = pin === undefined ? '' : `?pin=${pin}`
  return fake.fetch(`https://plex.tv/api/v2/home/users/${uuid}/switch${query}`, {
    method: 'POST',
    headers: plexHeaders({ 'x-plex-token': token, 'x-plex-client-identifier': clientIdentifier }),
  })
}

describe('GET /api/v2/home/users', () => {
  it('alice’s Home: the admin, a protected managed user and an unprotected one', async () => {
    const { fake } = setup()
    const res = await homeUsers(fake, ALICE_TOKEN)
    expect(res.status).toBe(200)
    const home = await res.json()
    expect(home).toMatchObject({ id: 7000001, name: "Alice's Home", guestEnabled: false, subscription: true })
    expect(home.users).toMatchObject([
      { uuid: 'a11ce0000000a11c', title: 'Alice', username: 'alice', admin: true, protected: false },
      {
        uuid: KIDS,
        title: 'Kids',
        username: null,
        email: null,
        admin: false,
        restricted: true,
        restrictionProfile: 'little_kid',
        protected: true,
      },
      { uuid: DANA, title: 'Dana', username: null, email: null, restricted: false, protected: false },
    ])
    // The account says it has a Home.
    const user = await (
      await fake.fetch('https://plex.tv/api/v2/user', {
        headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
      })
    ).json()
    expect(user).toMatchObject({ home: true, homeAdmin: true, homeSize: 3 })
  })

  it('404 for an account without a Home (bob), 401 without a valid token', async () => {
    const { fake } = setup()
    const res = await homeUsers(fake, BOB_TOKEN)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ errors: [PLEX_TV_ERRORS.notFound] })
    expect((await homeUsers(fake, 'nope')).status).toBe(401)
  })
})

describe('POST /api/v2/home/users/:uuid/switch', () => {
  it('a protected user needs its PIN: 403 code 1041 without it or with a wrong one', async () => {
    const { fake } = setup()
    for (const pin of [undefined, '0000', '']) {
      const res = await switchTo(fake, ALICE_TOKEN, KIDS, pin)
      expect(res.status).toBe(403)
      expect(await res.json()).toEqual({
        errors: [{ code: 1041, message: 'A valid PIN is required to perform this action', status: 403 }],
      })
    }
    const res = await switchTo(fake, ALICE_TOKEN, KIDS, '1234')
    expect(res.status).toBe(201)
    const kid = await res.json()
    expect(kid).toMatchObject({
      uuid: KIDS,
      title: 'Kids',
      username: null,
      email: null,
      restricted: true,
      protected: true,
      home: true,
      homeAdmin: false,
      authToken: expect.any(String),
      services: [],
    })
    // The switched token is a plex.tv token of that user: /user, ping and the Home answer it.
    const user = await fake.fetch('https://plex.tv/api/v2/user', {
      headers: plexHeaders({ 'x-plex-token': kid.authToken }),
    })
    expect(await user.json()).toMatchObject({ uuid: KIDS, username: null, authToken: kid.authToken })
    const ping = await fake.fetch('https://plex.tv/api/v2/ping', {
      headers: plexHeaders({ 'x-plex-token': kid.authToken }),
    })
    expect(ping.status).toBe(200)
    expect((await homeUsers(fake, kid.authToken)).status).toBe(200)
    // A Home member sees the admin's servers as `home`, neither owned nor shared, each with its own token.
    const resources = await fake.fetch('https://plex.tv/api/v2/resources', {
      headers: plexHeaders({ 'x-plex-token': kid.authToken }),
    })
    const servers = ((await resources.json()) as Record<string, unknown>[]).filter(
      (d) => d.provides === 'server',
    )
    expect(servers.map((d) => [d.name, d.owned, d.home])).toEqual([
      ["Alice's Plex", false, true],
      ['Cabin', false, true],
    ])
    expect(servers.every((d) => typeof d.accessToken === 'string' && d.accessToken !== kid.authToken)).toBe(
      true,
    )
  })

  it('an unprotected user needs no PIN; the admin too, unless it has one', async () => {
    const { fake } = setup()
    expect((await switchTo(fake, ALICE_TOKEN, DANA)).status).toBe(201)
    const dana = await (await switchTo(fake, ALICE_TOKEN, DANA, 'ignored')).json()
    // Back to the admin from a managed user's token.
    const admin = await switchTo(fake, dana.authToken, 'a11ce0000000a11c')
    expect(admin.status).toBe(201)
    expect(await admin.json()).toMatchObject({ username: 'alice', homeAdmin: true })

    const seed = structuredClone(fake.accounts)
    const alice = seed.find((a) => a.login === 'alice')
    if (alice?.home) alice.home.adminPin = '4321'
    const { fake: guarded } = setup({ seed: { ...defaultSeed, accounts: seed } })
    expect((await switchTo(guarded, ALICE_TOKEN, 'a11ce0000000a11c')).status).toBe(403)
    expect((await switchTo(guarded, ALICE_TOKEN, 'a11ce0000000a11c', '4321')).status).toBe(201)
  })

  it('rotates per device: a second switch from the same client identifier retires the first token', async () => {
    const { fake } = setup()
    const first = (await (await switchTo(fake, ALICE_TOKEN, DANA)).json()).authToken
    const other = (await (await switchTo(fake, ALICE_TOKEN, DANA, undefined, 'another-device')).json())
      .authToken
    const second = (await (await switchTo(fake, ALICE_TOKEN, DANA)).json()).authToken
    const statusOf = async (token: string) =>
      (await fake.fetch('https://plex.tv/api/v2/ping', { headers: plexHeaders({ 'x-plex-token': token }) }))
        .status
    expect([await statusOf(first), await statusOf(other), await statusOf(second)]).toEqual([401, 200, 200])
    // Alice's own token is untouched, and managed users' devices are not alice's devices.
    expect(await statusOf(ALICE_TOKEN)).toBe(200)
    expect(fake.devices('alice')).toEqual([])
  })

  it('404 for a uuid outside the caller’s Home or an account without one; 401 without a token', async () => {
    const { fake } = setup()
    expect((await switchTo(fake, ALICE_TOKEN, 'b0b0000000000b0b')).status).toBe(404)
    expect((await switchTo(fake, BOB_TOKEN, KIDS, '1234')).status).toBe(404)
    expect((await switchTo(fake, 'nope', KIDS, '1234')).status).toBe(401)
  })
})
