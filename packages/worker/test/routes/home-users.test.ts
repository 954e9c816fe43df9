import { beforeEach, describe, expect, it } from 'vitest'
import { bearer, clearKv, dumpKv, expectProblem, harness } from '../helpers.ts'

beforeEach(clearKv)

const ALICE_UUID = 'a11ce0000000a11c'
const KIDS_UUID = 'k1d5000000000k1d'
const DANA_UUID = 'da4a000000000da4'

describe('GET /v1/home/users', () => {
  it("lists alice's Home, admin first, with the picker's fields only", async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const res = await h.request('/v1/home/users', { headers: bearer(token) })
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const { users } = (await res.json()) as { users: Record<string, unknown>[] }
    expect(users.map((user) => [user.uuid, user.title, user.admin, user.protected, user.restricted])).toEqual(
      [
        [ALICE_UUID, 'Alice', true, false, false],
        [KIDS_UUID, 'Kids', false, true, true],
        [DANA_UUID, 'Dana', false, false, false],
      ],
    )
    for (const user of users) {
      expect(Object.keys(user).sort()).toEqual(
        ['admin', 'id', 'protected', 'restricted', 'thumb', 'title', 'uuid'].sort(),
      )
    }
    const call = h.fake.requests.at(-1)!
    expect(call).toMatchObject({ method: 'GET', url: 'https://plex.tv/api/v2/home/users' })
    expect(call.headers['x-plex-token']).toBe(plexToken)
  })

  it('an account without a Home (plex.tv answers 404) gets an empty list', async () => {
    const h = harness()
    const { token } = await h.signIn('carol')
    const res = await h.request('/v1/home/users', { headers: bearer(token) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ users: [] })
    expect(h.fake.requests.at(-1)!.url).toBe('https://plex.tv/api/v2/home/users')
  })

  it('passes on no field plex.tv adds (an allowlist): a token in a Home user never reaches the page', async () => {
    const h = harness()
    const { token } = await h.signIn()
    h.fake.inject({
      kind: 'status',
      status: 200,
      path: '/api/v2/home/users',
      headers: { 'content-type': 'application/json' },
      body: {
        users: [
          { id: 1, uuid: 'abc123', title: 'Eve', authToken: 'SECRET-HOME-TOKEN', email: 'e@example.com' },
        ],
      },
    })
    const res = await h.request('/v1/home/users', { headers: bearer(token) })
    const text = await res.text()
    expect(res.status, text).toBe(200)
    expect(text).not.toMatch(/SECRET-HOME-TOKEN|e@example\.com/)
    expect(JSON.parse(text)).toEqual({
      users: [{ id: 1, uuid: 'abc123', title: 'Eve', restricted: false, admin: false, protected: false }],
    })
  })

  it('needs a session', async () => {
    const h = harness()
    await expectProblem(await h.request('/v1/home/users'), 401, 'unauthenticated')
    expect(h.fake.requests).toEqual([])
  })

  it('a token Plex rejects ends the session: 401 plex_token_rejected', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    h.fake.revokeToken(plexToken)
    await expectProblem(
      await h.request('/v1/home/users', { headers: bearer(token) }),
      401,
      'plex_token_rejected',
    )
    expect(await dumpKv()).toEqual([])
  })
})
