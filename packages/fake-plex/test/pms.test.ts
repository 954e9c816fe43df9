import { describe, expect, it } from 'vitest'
import { TRANSIENT_TOKEN_LIFETIME_MS } from '../src/index.ts'
import { ALICE_TOKEN, BOB_SHARE_TOKEN, BOB_TOKEN, CAROL_TOKEN, plexHeaders, setup } from './helpers.ts'

const TOKEN_PATH = '/security/token?type=delegation&scope=all'

async function transientToken(fake: ReturnType<typeof setup>['fake'], serverUrl: string, token: string) {
  const res = await fake.fetch(serverUrl + TOKEN_PATH, { headers: plexHeaders({ 'x-plex-token': token }) })
  expect(res.status).toBe(200)
  const body = await res.json()
  return body.MediaContainer.token as string
}

function expectHtml(res: Response, status: number) {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toBe('text/html')
}

describe('/security/token', () => {
  it('answers the README example: 200 {"MediaContainer":{"size":0,"token":"transient-..."}} for GET and POST', async () => {
    const { fake, main } = setup()
    for (const method of ['GET', 'POST']) {
      const res = await fake.fetch(main.url + TOKEN_PATH, {
        method,
        headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
      })
      expect(res.status).toBe(200)
      const body = await res.json()
      expect(Object.keys(body.MediaContainer)).toEqual(['size', 'token'])
      expect(body.MediaContainer.size).toBe(0)
      expect(body.MediaContainer.token).toMatch(/^transient-[0-9a-f-]{36}$/)
    }
  })

  it('answers XML by default', async () => {
    const { fake, main } = setup()
    const res = await fake.fetch(main.url + TOKEN_PATH, { headers: { 'x-plex-token': ALICE_TOKEN } })
    expect(await res.text()).toMatch(/<MediaContainer size="0" token="transient-[0-9a-f-]+"\/>/)
  })

  it('answers HTML 400 for a missing or wrong type or scope, even with Accept: application/json', async () => {
    const { fake, main } = setup()
    for (const query of ['', '?type=delegation', '?type=other&scope=all', '?type=delegation&scope=some']) {
      const res = await fake.fetch(`${main.url}/security/token${query}`, {
        headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
      })
      expectHtml(res, 400)
      expect(await res.text()).toContain('<h1>400 Bad Request</h1>')
    }
  })

  it('answers HTML 401 for no token, an unknown, revoked or unrelated token', async () => {
    const { fake, main } = setup()
    const revoked = fake.issueToken('alice')
    fake.revokeToken(revoked)
    for (const token of [undefined, 'garbage-token-123456', revoked, CAROL_TOKEN]) {
      const headers = plexHeaders(token ? { 'x-plex-token': token } : {})
      expectHtml(await fake.fetch(main.url + TOKEN_PATH, { headers }), 401)
    }
  })

  it('answers HTML 403 when a transient token asks for another one', async () => {
    const { fake, main } = setup()
    const transient = await transientToken(fake, main.url, ALICE_TOKEN)
    expectHtml(
      await fake.fetch(main.url + TOKEN_PATH, { headers: plexHeaders({ 'x-plex-token': transient }) }),
      403,
    )
  })

  it('gives shared users a transient token with their own (non-admin) access', async () => {
    const { fake, main, cabin } = setup()
    const fromAccount = await transientToken(fake, main.url, BOB_TOKEN)
    const fromShare = await transientToken(fake, main.url, BOB_SHARE_TOKEN)
    for (const token of [fromAccount, fromShare]) {
      const res = await fake.fetch(`${main.url}/security/resources?source=server%3A%2F%2F${main.id}`, {
        headers: plexHeaders({ 'x-plex-token': token }),
      })
      expectHtml(res, 403)
    }
    // bob has no access to the cabin server.
    expectHtml(
      await fake.fetch(cabin.url + TOKEN_PATH, { headers: plexHeaders({ 'x-plex-token': BOB_TOKEN }) }),
      401,
    )
  })

  it('kills transient tokens on restartServer, only for that server, and after 48 hours', async () => {
    const { fake, clock, main, cabin } = setup()
    const resources = (url: string, id: string, token: string) =>
      fake.fetch(`${url}/security/resources?source=${encodeURIComponent(`server://${id}`)}`, {
        headers: plexHeaders({ 'x-plex-token': token }),
      })
    const onMain = await transientToken(fake, main.url, ALICE_TOKEN)
    const onCabin = await transientToken(fake, cabin.url, ALICE_TOKEN)
    expect((await resources(main.url, main.id, onMain)).status).toBe(200)
    // A transient token only works on the server that made it.
    expectHtml(await resources(cabin.url, cabin.id, onMain), 401)

    fake.restartServer(main.id)
    expectHtml(await resources(main.url, main.id, onMain), 401)
    expect((await resources(cabin.url, cabin.id, onCabin)).status).toBe(200)
    const fresh = await transientToken(fake, main.url, ALICE_TOKEN)
    expect((await resources(main.url, main.id, fresh)).status).toBe(200)

    clock.now += TRANSIENT_TOKEN_LIFETIME_MS - 1
    expect((await resources(main.url, main.id, fresh)).status).toBe(200)
    clock.now += 1
    expectHtml(await resources(main.url, main.id, fresh), 401)
  })
})

describe('/security/resources', () => {
  it('answers the README example: MediaContainer with one Device object and its connections', async () => {
    const { fake, main, cabin } = setup()
    const res = await fake.fetch(
      `${main.url}/security/resources?source=${encodeURIComponent(`server://${cabin.id}`)}&refresh=1`,
      { headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }) },
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      MediaContainer: {
        size: 1,
        Device: {
          name: 'Cabin',
          clientIdentifier: cabin.id,
          accessToken: ALICE_TOKEN,
          Connection: [
            {
              protocol: 'https',
              address: '10.0.0.7',
              port: 32400,
              uri: cabin.url,
              local: true,
              relay: false,
            },
            {
              protocol: 'http',
              address: '10.0.0.7',
              port: 32400,
              uri: 'http://10.0.0.7:32400',
              local: true,
              relay: false,
            },
          ],
        },
      },
    })
  })

  it('accepts a transient token made from the admin token, and provider:// sources', async () => {
    const { fake, main } = setup()
    const transient = await transientToken(fake, main.url, ALICE_TOKEN)
    const res = await fake.fetch(
      `${main.url}/security/resources?source=${encodeURIComponent('provider://tv.plex.provider.epg')}`,
      { headers: plexHeaders({ 'x-plex-token': transient }) },
    )
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.MediaContainer.Device).toMatchObject({
      clientIdentifier: 'tv.plex.provider.epg',
      accessToken: ALICE_TOKEN,
    })
    expect(body.MediaContainer.Device.Connection[0].uri).toBe('https://epg.provider.plex.tv')
  })

  it('answers XML with Device and Connection elements by default', async () => {
    const { fake, main } = setup()
    const res = await fake.fetch(`${main.url}/security/resources?source=server%3A%2F%2F${main.id}`, {
      headers: { 'x-plex-token': ALICE_TOKEN },
    })
    const xml = await res.text()
    expect(xml).toContain('<MediaContainer size="1"><Device name="Alice&apos;s Plex"')
    expect(xml.match(/<Connection /g)).toHaveLength(3)
  })

  it('answers HTML 400 without source, 404 for unknown sources, 401 without token, 403 for shared users', async () => {
    const { fake, main } = setup()
    const get = (query: string, token?: string) =>
      fake.fetch(`${main.url}/security/resources${query}`, {
        headers: plexHeaders(token ? { 'x-plex-token': token } : {}),
      })
    expectHtml(await get('', ALICE_TOKEN), 400)
    expectHtml(await get('?source=server%3A%2F%2Funknown', ALICE_TOKEN), 404)
    expectHtml(await get('?source=provider%3A%2F%2Fnope', ALICE_TOKEN), 404)
    expectHtml(await get('?source=nothing', ALICE_TOKEN), 404)
    expectHtml(await get(`?source=server%3A%2F%2F${main.id}`), 401)
    expectHtml(await get(`?source=server%3A%2F%2F${main.id}`, BOB_SHARE_TOKEN), 403)
    expectHtml(await get(`?source=server%3A%2F%2F${main.id}`, BOB_TOKEN), 403)
  })
})

describe('routing and /identity', () => {
  it('answers /identity without a token', async () => {
    const { fake, main } = setup()
    const res = await fake.fetch(`${main.url}/identity`, { headers: { accept: 'application/json' } })
    expect(await res.json()).toEqual({
      MediaContainer: {
        size: 0,
        claimed: true,
        machineIdentifier: main.id,
        version: '1.41.3.9314-a0bfb8370',
      },
    })
  })

  it('reaches a server through its reachable connections only; other origins fail like fetch', async () => {
    const { fake, main } = setup()
    const relay = 'https://198-51-100-20.0f3b8a61c2d94e7f8a1b2c3d4e5f6a7b.plex.direct:8443'
    const remote = 'https://203-0-113-7.0f3b8a61c2d94e7f8a1b2c3d4e5f6a7b.plex.direct:32400'
    expect((await fake.fetch(`${relay}/identity`)).status).toBe(200)
    await expect(fake.fetch(`${remote}/identity`)).rejects.toThrow(new TypeError('fetch failed'))
    await expect(fake.fetch('https://example.com/')).rejects.toBeInstanceOf(TypeError)
    expect(fake.requests.map((r) => r.url)).toContain('https://example.com/')
    expectHtml(await fake.fetch(`${main.url}/library/sections`), 404)
  })

  it('rejects with the reason of an already aborted signal', async () => {
    const { fake, main } = setup()
    const controller = new AbortController()
    controller.abort(new Error('caller gave up'))
    await expect(fake.fetch(`${main.url}/identity`, { signal: controller.signal })).rejects.toThrow(
      'caller gave up',
    )
  })
})
