import { beforeEach, describe, expect, it } from 'vitest'
import { clearPlexJwksCache } from '../../../core/src/verify-plex-jwt.ts'
import { bearer, clearKv, dumpKv, expectProblem, harness } from '../helpers.ts'
import { JWT_SESSIONS, pinSignIn } from '../session-helpers.ts'

beforeEach(clearKv)

describe('GET /v1/user', () => {
  it('answers the account for a bearer session', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const res = await h.request('/v1/user', { headers: bearer(token) })
    expect(res.status).toBe(200)
    const user = (await res.json()) as Record<string, unknown>
    expect(user).toMatchObject({ username: 'alice', uuid: 'a11ce0000000a11c' })
    expect(user).not.toHaveProperty('authToken')
    const call = h.fake.requests.at(-1)!
    expect(call.url).toBe('https://plex.tv/api/v2/user')
    expect(call.headers['x-plex-token']).toBe(plexToken)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
  })

  it('answers the account for a cookie session', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const res = await h.request('/v1/user', { headers: { Cookie: `other=1; __Host-plex_session=${token}` } })
    expect(res.status).toBe(200)
  })

  it('strips authToken and the services entries’ token and secret', async () => {
    const h = harness()
    const { token } = await h.signIn()
    h.fake.inject({
      kind: 'status',
      status: 200,
      path: '/api/v2/user',
      headers: { 'content-type': 'application/json' },
      body: {
        id: 1,
        uuid: 'u',
        username: 'alice',
        title: 'Alice',
        email: 'a@example.com',
        friendlyName: 'Alice',
        authToken: 'SECRET-AUTH-TOKEN',
        hasPassword: true,
        joinedAt: 1,
        twoFactorEnabled: false,
        services: [
          {
            identifier: 'metadata',
            endpoint: 'https://x',
            token: 'SERVICE-TOKEN',
            secret: 'SERVICE-SECRET',
            status: 'online',
          },
        ],
      },
    })
    const res = await h.request('/v1/user', { headers: bearer(token) })
    const text = await res.text()
    expect(res.status, text).toBe(200)
    expect(text).not.toMatch(/SECRET-AUTH-TOKEN|SERVICE-TOKEN|SERVICE-SECRET/)
    expect(JSON.parse(text).services).toEqual([
      { identifier: 'metadata', endpoint: 'https://x', status: 'online' },
    ])
  })

  it('a token Plex rejects (revoked, 422 XML) deletes the session: 401 plex_token_rejected', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    h.fake.revokeToken(plexToken)
    const res = await h.request('/v1/user', { headers: { Cookie: `__Host-plex_session=${token}` } })
    expect(res.headers.get('Set-Cookie')).toMatch(/^__Host-plex_session=; Max-Age=0;/)
    await expectProblem(res, 401, 'plex_token_rejected')
    expect(await dumpKv()).toEqual([])
    await expectProblem(await h.request('/v1/user', { headers: bearer(token) }), 401, 'unauthenticated')
  })

  it('a 401 from plex.tv also ends the session', async () => {
    const h = harness()
    const { token } = await h.signIn()
    h.fake.inject({
      kind: 'status',
      status: 401,
      path: '/api/v2/user',
      body: { errors: [{ code: 1001, message: 'x', status: 401 }] },
    })
    await expectProblem(await h.request('/v1/user', { headers: bearer(token) }), 401, 'plex_token_rejected')
    expect(await dumpKv()).toEqual([])
  })

  it('an expired session is unauthenticated', async () => {
    let clock = Date.now()
    const h = harness({ now: () => clock, env: { SESSION_TTL_SECONDS: '300' } })
    const { token } = await h.signIn()
    clock += 301_000
    await expectProblem(await h.request('/v1/user', { headers: bearer(token) }), 401, 'unauthenticated')
  })
})

describe('GET /v1/user?from=claims', () => {
  it("a Plex JWT session is answered from its verified claims: no plex.tv call, plex.tv's keys cached", async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    const full = (await (await h.request('/v1/user', { headers: bearer(session.token) })).json()) as Record<
      string,
      unknown
    >
    const asked = h.fake.requests.length
    const res = await h.request('/v1/user?from=claims', { headers: bearer(session.token) })
    expect(res.status).toBe(200)
    const claims = (await res.json()) as Record<string, unknown>
    // A subset of the account, the same values.
    expect(claims).toEqual({
      id: full.id,
      uuid: full.uuid,
      username: full.username,
      email: full.email,
      friendlyName: full.friendlyName,
      title: full.friendlyName,
    })
    // The only request: plex.tv's keys (JWKS), once per isolate; never /api/v2/user.
    const calls = h.fake.requests.slice(asked).map((r) => new URL(r.url).pathname)
    expect(calls.every((path) => path === '/api/v2/auth/keys')).toBe(true)
    expect(calls.length).toBeLessThanOrEqual(1)
    const again = h.fake.requests.length
    expect((await h.request('/v1/user?from=claims', { headers: bearer(session.token) })).status).toBe(200)
    expect(h.fake.requests.length).toBe(again)
  })

  it('a legacy session asks plex.tv, from=claims or not', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const res = await h.request('/v1/user?from=claims', { headers: bearer(token) })
    expect(await res.json()).toMatchObject({ username: 'alice', thumb: expect.any(String) })
    expect(h.fake.requests.at(-1)!.url).toBe('https://plex.tv/api/v2/user')
  })

  it('a JWT that does not verify (plex.tv signs with a key it no longer publishes) falls back to plex.tv', async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    h.fake.inject({ kind: 'status', status: 200, path: '/api/v2/auth/keys', body: { keys: [] } })
    clearPlexJwksCache()
    const res = await h.request('/v1/user?from=claims', { headers: bearer(session.token) })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ username: 'alice', thumb: expect.any(String) })
    expect(h.fake.requests.at(-1)!.url).toBe('https://plex.tv/api/v2/user')
  })

  it('from must be plex or claims', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const body = await expectProblem(
      await h.request('/v1/user?from=FUZZSECRET', { headers: bearer(token) }),
      400,
      'invalid_request',
    )
    expect(JSON.stringify(body)).not.toContain('FUZZSECRET')
  })
})
