import { beforeEach, describe, expect, it } from 'vitest'
import { sha256 } from '../../src/sessions/token-crypto.ts'
import {
  bearer,
  clearKv,
  dumpKv,
  expectKvClean,
  expectProblem,
  harness,
  json,
  MAIN_SERVER_ID,
  openKv,
  SEALED_VALUE,
} from '../helpers.ts'

beforeEach(clearKv)

const BEARER_MODE = { 'X-Session-Mode': 'bearer' }

const CABIN_ID = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432'
const CABIN_URL = 'https://10-0-0-7.7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f.plex.direct:32400'
const BOB_SHARE_TOKEN = 'BobShareAcc3ssT0k5nX'

interface ServersBody {
  servers: {
    name: string
    clientIdentifier: string
    owned: boolean
    connections: { uri: string; local: boolean; relay: boolean }[]
  }[]
}

describe('GET /v1/servers', () => {
  it("lists the account's servers without tokens, and remembers them sealed for the session", async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const res = await h.request('/v1/servers', { headers: bearer(token) })
    const text = await res.text()
    expect(res.status, text).toBe(200)
    const body = JSON.parse(text) as ServersBody
    expect(body.servers.map((s) => s.name).sort()).toEqual(["Alice's Plex", 'Cabin'])
    const main = body.servers.find((s) => s.clientIdentifier === MAIN_SERVER_ID)!
    expect(main.owned).toBe(true)
    expect(main.connections).toContainEqual({
      uri: expect.stringContaining('198-51-100-20'),
      local: false,
      relay: true,
    })
    expect(text).not.toContain(plexToken)
    expect(text).not.toContain('accessToken')
    expect(h.fake.requests.at(-1)!.url).toBe('https://plex.tv/api/v2/resources?includeHttps=1&includeRelay=1')

    const entries = await expectKvClean([token, plexToken])
    const servers = entries.find((e) => e.name.startsWith('servers:'))!
    expect(servers.name).toBe(`servers:${await sha256(token)}`)
    const session = entries.find((e) => e.name.startsWith('session:'))!
    expect(servers.expiration).toBe(session.expiration)
    expect(servers.metadata ?? null).toBeNull()
    expect(servers.value).toMatch(SEALED_VALUE)
    const stored = (await openKv(servers.name, servers.value))!
    expect((stored.servers as { name: string }[]).map((s) => s.name).sort()).toEqual([
      "Alice's Plex",
      'Cabin',
    ])
  })

  it("a discovered server's clientIdentifier is a valid server: the first connection that answers is used", async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    await expectProblem(
      await h.request('/v1/transient-token', json({ server: MAIN_SERVER_ID }, bearer(token))),
      400,
      'server_not_allowed',
    )
    await h.request('/v1/servers', { headers: bearer(token) })
    const before = h.fake.requests.length
    const res = await h.request('/v1/transient-token', json({ server: MAIN_SERVER_ID }, bearer(token)))
    expect(res.status).toBe(200)
    const tried = h.fake.requests.slice(before).map((r) => new URL(r.url).host)
    // The public direct connection is unreachable in the seed; the relay answers.
    expect(tried).toEqual([
      '203-0-113-7.0f3b8a61c2d94e7f8a1b2c3d4e5f6a7b.plex.direct:32400',
      '198-51-100-20.0f3b8a61c2d94e7f8a1b2c3d4e5f6a7b.plex.direct:8443',
    ])
    expect(h.fake.requests.at(-1)!.headers['x-plex-token']).toBe(plexToken)
    const source = await h.request(`/v1/source-connection?source=server://${CABIN_ID}&server=${CABIN_ID}`, {
      headers: bearer(token),
    })
    expect(source.status).toBe(200)
  })

  it("a discovered connection URI is allowed for that session only, with the server's own token", async () => {
    const h = harness({ env: { PLEX_SERVER_URL: undefined } })
    const bob = await h.request(
      '/v1/sign-in',
      json({ login: 'bob', password: 'bob-password', verificationCode: '123456' }, BEARER_MODE),
    )
    const { session } = (await bob.json()) as { session: { token: string } }
    const alice = await h.signIn()
    const mainUrl = 'https://192-168-1-10.0f3b8a61c2d94e7f8a1b2c3d4e5f6a7b.plex.direct:32400'
    await expectProblem(
      await h.request('/v1/transient-token', json({ server: mainUrl }, bearer(session.token))),
      400,
      'server_not_allowed',
    )
    const listed = (await (
      await h.request('/v1/servers', { headers: bearer(session.token) })
    ).json()) as ServersBody
    expect(listed.servers.map((s) => [s.name, s.owned])).toEqual([["Alice's Plex", false]])
    const res = await h.request('/v1/transient-token', json({ server: mainUrl }, bearer(session.token)))
    expect(res.status).toBe(200)
    expect(h.fake.requests.at(-1)!.headers['x-plex-token']).toBe(BOB_SHARE_TOKEN)
    // Bob's servers are not Alice's allowed servers, and Cabin is not Bob's.
    await expectProblem(
      await h.request('/v1/transient-token', json({ server: CABIN_URL }, bearer(session.token))),
      400,
      'server_not_allowed',
    )
    await expectProblem(
      await h.request('/v1/transient-token', json({ server: CABIN_URL }, bearer(alice.token))),
      400,
      'server_not_allowed',
    )
    await expectKvClean([session.token, alice.token, alice.plexToken, BOB_SHARE_TOKEN, ...h.plexTokens])
  })

  it("never sends the account's own token to a shared server plex.tv lists without an access token", async () => {
    const h = harness({ env: { PLEX_SERVER_URL: undefined } })
    // plex.tv sends `accessToken: null` for devices whose token it does not give out.
    const upstream = h.fake.fetch
    h.fake.fetch = async (input, init) => {
      const res = await upstream(input, init)
      if (!String(input instanceof Request ? input.url : input).includes('/api/v2/resources')) return res
      const devices = (await res.json()) as Record<string, unknown>[]
      const nulled = devices.map((d) => (d.owned ? d : { ...d, accessToken: null }))
      return Response.json(nulled, { status: res.status, headers: res.headers })
    }
    const bob = await h.request(
      '/v1/sign-in',
      json({ login: 'bob', password: 'bob-password', verificationCode: '123456' }, BEARER_MODE),
    )
    const { session } = (await bob.json()) as { session: { token: string } }
    const bobToken = h.plexTokens.at(-1)!
    expect((await h.request('/v1/servers', { headers: bearer(session.token) })).status).toBe(200)
    const mainUrl = 'https://192-168-1-10.0f3b8a61c2d94e7f8a1b2c3d4e5f6a7b.plex.direct:32400'
    const before = h.fake.requests.length
    for (const server of [MAIN_SERVER_ID, mainUrl]) {
      await expectProblem(
        await h.request('/v1/transient-token', json({ server }, bearer(session.token))),
        400,
        'server_not_allowed',
      )
      await expectProblem(
        await h.request(`/v1/source-connection?source=server://${MAIN_SERVER_ID}&server=${server}`, {
          headers: bearer(session.token),
        }),
        400,
        'server_not_allowed',
      )
    }
    const sent = h.fake.requests.slice(before)
    expect(sent.filter((r) => r.headers['x-plex-token'] === bobToken)).toEqual([])
    expect(sent.filter((r) => !r.url.startsWith('https://plex.tv/'))).toEqual([])
  })

  it('sign-out deletes the remembered servers', async () => {
    const h = harness()
    const { token } = await h.signIn()
    await h.request('/v1/servers', { headers: bearer(token) })
    await h.request('/v1/transient-token', json({ server: CABIN_ID }, bearer(token)))
    expect((await dumpKv()).map((e) => e.name.split(':')[0]).sort()).toEqual([
      'servers',
      'session',
      'transient',
    ])
    await h.request('/v1/sign-out', { method: 'POST', headers: bearer(token) })
    expect(await dumpKv()).toEqual([])
  })

  it('a rejected token ends the session; upstream failures are problems', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    h.fake.inject({ kind: 'garbage', path: '/api/v2/resources', times: 1 })
    await expectProblem(
      await h.request('/v1/servers', { headers: bearer(token) }),
      502,
      'upstream_invalid_response',
    )
    h.fake.revokeToken(plexToken)
    await expectProblem(
      await h.request('/v1/servers', { headers: bearer(token) }),
      401,
      'plex_token_rejected',
    )
    expect(await dumpKv()).toEqual([])
  })
})
