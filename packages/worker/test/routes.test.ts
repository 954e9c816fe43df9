import { env } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import { sha256 } from '../src/token-crypto.ts'
import {
  ALLOWED_ORIGIN,
  bearer,
  clearKv,
  dumpKv,
  expectKvClean,
  expectProblem,
  harness,
  json,
  MAIN_SERVER_ID,
  openKv,
  randomIp,
  SEALED_VALUE,
  SERVER_URL,
  type SignedIn,
  TOKEN_PATTERN,
} from './helpers.ts'

beforeEach(clearKv)

describe('GET /v1/health', () => {
  it('answers ok, no-store, with secure headers', async () => {
    const res = await harness().request('/v1/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(res.headers.get('Strict-Transport-Security')).toMatch(/max-age=\d+/)
    expect(res.headers.get('X-Frame-Options')).toBe('SAMEORIGIN')
  })

  it('answers HEAD like GET, without a body', async () => {
    const res = await harness().request('/v1/health', { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })
})

describe('POST /v1/sign-in', () => {
  it('bearer mode (X-Session-Mode: bearer): 201, the token in the body, no cookie', async () => {
    const h = harness()
    const { res, body, token, plexToken } = await h.signIn()
    expect(token).toMatch(TOKEN_PATTERN)
    expect(Date.parse(body.session.expiresAt) - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000)
    expect(body.user).toMatchObject({ id: 10000001, username: 'alice', email: 'alice@example.com' })
    expect(body.user).not.toHaveProperty('authToken')
    expect(JSON.stringify(body)).not.toContain(plexToken)
    expect(res.headers.get('Set-Cookie')).toBeNull()
  })

  it('cookie mode (the default): 201, expiry, user without secrets, __Host- cookie, and no token a script could read', async () => {
    const h = harness()
    const res = await h.request(
      '/v1/sign-in',
      json({ login: 'alice', password: 'alice-password' }, { 'CF-Connecting-IP': randomIp() }),
    )
    expect(res.status).toBe(201)
    const text = await res.text()
    const body = JSON.parse(text) as SignedIn
    const cookie = res.headers.get('Set-Cookie')!
    const token = /^__Host-plex_session=([A-Za-z0-9_-]{43});/.exec(cookie)?.[1]
    expect(token).toMatch(TOKEN_PATTERN)
    expect(body.session).toEqual({ expiresAt: expect.any(String) })
    expect(text).not.toContain(token)
    expect(text).not.toContain(h.plexTokens.at(-1))
    const expiresAt = Date.parse(body.session.expiresAt)
    expect(body.user).toMatchObject({ username: 'alice' })
    const flags = cookie.split(';').map((part) => part.trim())
    expect(flags).toEqual(
      expect.arrayContaining([
        'HttpOnly',
        'Secure',
        'SameSite=Lax',
        'Path=/',
        expect.stringMatching(/^Max-Age=\d+$/),
      ]),
    )
    expect(flags.some((f) => /^Domain=/i.test(f))).toBe(false)
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)![1])
    expect(Math.abs(maxAge - (expiresAt - Date.now()) / 1000)).toBeLessThan(5)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
  })

  it('sends the credentials to plex.tv as a form, never in the URL, and never retries', async () => {
    const h = harness()
    await h.signIn()
    const signIns = h.fake.requests.filter((r) => r.url.endsWith('/api/v2/users/signin'))
    expect(signIns).toHaveLength(1)
    expect(signIns[0]!.url).toBe('https://plex.tv/api/v2/users/signin')
    expect(signIns[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(new URLSearchParams(signIns[0]!.body).get('password')).toBe('alice-password')
    // Its own device: a random identifier (256 bits) and a name from the User-Agent.
    expect(signIns[0]!.headers['x-plex-client-identifier']).toMatch(TOKEN_PATTERN)
    expect(signIns[0]!.headers['x-plex-device-name']).toBe('Web session')
  })

  it('rejects an X-Session-Mode it does not know before asking plex.tv', async () => {
    const h = harness()
    const res = await h.request(
      '/v1/sign-in',
      json({ login: 'alice', password: 'alice-password' }, { 'X-Session-Mode': 'both' }),
    )
    const problem = await expectProblem(res, 400, 'invalid_request')
    expect(problem.issues).toEqual([{ path: 'X-Session-Mode', message: expect.stringContaining('bearer') }])
    expect(h.fake.requests).toHaveLength(0)
  })

  it('creates a new session on every sign-in', async () => {
    const h = harness()
    const a = await h.signIn()
    const b = await h.signIn()
    expect(a.token).not.toBe(b.token)
    expect((await dumpKv()).filter((e) => e.name.startsWith('session:'))).toHaveLength(2)
  })

  it('accepts form-encoded bodies (rememberMe as a form boolean) and 2FA codes', async () => {
    const h = harness()
    const res = await h.request('/v1/sign-in', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'CF-Connecting-IP': randomIp(),
        Origin: ALLOWED_ORIGIN,
      },
      body: new URLSearchParams({
        login: 'bob',
        password: 'bob-password',
        verificationCode: '123456',
        rememberMe: 'on',
      }).toString(),
    })
    expect(res.status).toBe(201)
    const sent = h.fake.requests.find((r) => r.url.endsWith('/users/signin'))!
    const form = new URLSearchParams(sent.body)
    expect(form.get('verificationCode')).toBe('123456')
    expect(form.get('rememberMe')).toBe('true')
  })

  it('stores the session under the hash of its token, sealed whole with its own device', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const entries = await expectKvClean([token, plexToken, 'alice-password'])
    expect(entries).toHaveLength(1)
    const [entry] = entries
    expect(entry!.name).toBe(`session:${await sha256(token)}`)
    expect(entry!.value).toMatch(SEALED_VALUE)
    expect(entry!.metadata ?? null).toBeNull()
    const value = (await openKv(entry!.name, entry!.value))!
    expect(value).toMatchObject({ v: 2, source: 'password', plexToken, deviceName: 'Web session' })
    const sent = h.fake.requests.find((r) => r.url.endsWith('/users/signin'))!
    expect(value.clientIdentifier).toBe(sent.headers['x-plex-client-identifier'])
    // Absolute expiration: the KV expiration is the session's expiry.
    expect(entry!.expiration! * 1000).toBe(value.expiresAt)
  })

  it('the sealed token is bound to its key: copied under another key it does not open', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const other = await h.signIn()
    const [a, b] = [await sha256(token), await sha256(other.token)]
    const valueA = await env.PLEX_AUTH_KV.get(`session:${a}`)
    await env.PLEX_AUTH_KV.put(`session:${b}`, valueA!, { expirationTtl: 600 })
    await expectProblem(await h.request('/v1/user', { headers: bearer(other.token) }), 401, 'unauthenticated')
    expect((await h.request('/v1/user', { headers: bearer(token) })).status).toBe(200)
  })

  it('honours SESSION_TTL_SECONDS', async () => {
    const h = harness({ env: { SESSION_TTL_SECONDS: '3600' } })
    const { body, res } = await h.signIn()
    expect(Math.abs(Date.parse(body.session.expiresAt) - Date.now() - 3600_000)).toBeLessThan(5000)
    const cookieRes = await h.request(
      '/v1/sign-in',
      json({ login: 'alice', password: 'alice-password' }, { 'CF-Connecting-IP': randomIp() }),
      { SESSION_TTL_SECONDS: '3600' },
    )
    expect(res.headers.get('Set-Cookie')).toBeNull()
    expect(cookieRes.headers.get('Set-Cookie')).toMatch(/Max-Age=3(5|6)\d\d;/)
  })
})

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

describe('POST /v1/transient-token', () => {
  it('gets one from PLEX_SERVER_URL with the session token, then answers it from the cache', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const first = await h.request('/v1/transient-token', json({}, bearer(token)))
    expect(first.status).toBe(200)
    const a = (await first.json()) as { token: string; expiresAt: string; cached: boolean }
    expect(a.token).toMatch(/^transient-/)
    expect(a.cached).toBe(false)
    const ttl = Date.parse(a.expiresAt) - Date.now()
    expect(ttl).toBeGreaterThan(3500_000)
    expect(ttl).toBeLessThanOrEqual(3600_000)
    const call = h.fake.requests.at(-1)!
    expect(new URL(call.url).origin).toBe(SERVER_URL)
    expect(call.headers['x-plex-token']).toBe(plexToken)
    expect(call.url).not.toContain(plexToken)

    const count = h.fake.requests.length
    const second = await h.request(
      '/v1/transient-token',
      json({ type: 'delegation', scope: 'all', server: SERVER_URL }, bearer(token)),
    )
    const b = (await second.json()) as { token: string; cached: boolean }
    expect(b).toMatchObject({ token: a.token, cached: true })
    expect(h.fake.requests.length).toBe(count)

    const entries = await expectKvClean([token, plexToken, a.token])
    const cache = entries.filter((e) => e.name.startsWith('transient:'))
    expect(cache).toHaveLength(1)
    expect(cache[0]!.name).toBe(`transient:${await sha256(token)}:${await sha256(SERVER_URL)}`)
    expect(cache[0]!.expiration! * 1000 - Date.now()).toBeLessThanOrEqual(3600_000)
  })

  it('accepts a request without a body (all fields optional)', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const res = await h.request('/v1/transient-token', { method: 'POST', headers: bearer(token) })
    expect(res.status).toBe(200)
  })

  it('fresh: true replaces the cached token', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const a = (await (await h.request('/v1/transient-token', json({}, bearer(token)))).json()) as {
      token: string
    }
    const res = await h.request('/v1/transient-token', json({ fresh: true }, bearer(token)))
    const b = (await res.json()) as { token: string; cached: boolean }
    expect(b.cached).toBe(false)
    expect(b.token).not.toBe(a.token)
    const c = (await (await h.request('/v1/transient-token', json({}, bearer(token)))).json()) as {
      token: string
    }
    expect(c.token).toBe(b.token)
  })

  it('keeps the cache per session: another session gets its own token', async () => {
    const h = harness()
    const one = await h.signIn()
    const two = await h.signIn()
    const a = (await (await h.request('/v1/transient-token', json({}, bearer(one.token)))).json()) as {
      token: string
    }
    const b = (await (await h.request('/v1/transient-token', json({}, bearer(two.token)))).json()) as {
      token: string
      cached: boolean
    }
    expect(b.cached).toBe(false)
    expect(b.token).not.toBe(a.token)
  })

  it('honours TRANSIENT_TOKEN_TTL_SECONDS', async () => {
    const h = harness({ env: { TRANSIENT_TOKEN_TTL_SECONDS: '120' } })
    const { token } = await h.signIn()
    const body = (await (await h.request('/v1/transient-token', json({}, bearer(token)))).json()) as {
      expiresAt: string
    }
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(120_000)
    const [cache] = (await dumpKv()).filter((e) => e.name.startsWith('transient:'))
    expect(cache!.expiration! - Date.now() / 1000).toBeGreaterThanOrEqual(60)
    expect(cache!.expiration! - Date.now() / 1000).toBeLessThanOrEqual(120)
  })

  it('a 403 from the server evicts the cached token', async () => {
    const h = harness()
    const { token } = await h.signIn()
    await h.request('/v1/transient-token', json({}, bearer(token)))
    h.fake.inject({
      kind: 'status',
      status: 403,
      host: MAIN_SERVER_ID,
      path: '/security/token',
      times: 1,
      body: '<html>403</html>',
      headers: { 'content-type': 'text/html' },
    })
    await expectProblem(
      await h.request('/v1/transient-token', json({ fresh: true }, bearer(token))),
      403,
      'forbidden',
    )
    expect((await dumpKv()).filter((e) => e.name.startsWith('transient:'))).toEqual([])
  })

  it('a server refusing a live account token is 403 forbidden and keeps the session', async () => {
    const h = harness()
    const { token } = await h.signIn('carol') // carol has no access to alice's server
    await expectProblem(await h.request('/v1/transient-token', json({}, bearer(token))), 403, 'forbidden')
    expect((await h.request('/v1/user', { headers: bearer(token) })).status).toBe(200)
  })

  it('a server refusing a revoked account token ends the session', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    h.fake.revokeToken(plexToken)
    await expectProblem(
      await h.request('/v1/transient-token', json({}, bearer(token))),
      401,
      'plex_token_rejected',
    )
    expect(await dumpKv()).toEqual([])
  })
})

describe('GET /v1/source-connection', () => {
  const path = `/v1/source-connection?source=${encodeURIComponent(`server://${MAIN_SERVER_ID}`)}`

  it('asks the server with a transient token and answers the connections', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const res = await h.request(`${path}&refresh=1`, { headers: bearer(token) })
    const text = await res.text()
    expect(res.status, text).toBe(200)
    const body = JSON.parse(text)
    expect(body).toMatchObject({ clientIdentifier: MAIN_SERVER_ID, name: "Alice's Plex" })
    expect(body.connections.length).toBeGreaterThan(0)
    expect(body.connections[0]).toMatchObject({
      protocol: 'https',
      uri: expect.any(String),
      local: expect.any(Boolean),
    })
    // The fake answers with the account's own token: it never reaches the frontend.
    expect(text).not.toContain(plexToken)
    const call = h.fake.requests.at(-1)!
    expect(call.url).toContain('/security/resources?')
    expect(new URL(call.url).searchParams.get('source')).toBe(`server://${MAIN_SERVER_ID}`)
    expect(new URL(call.url).searchParams.get('refresh')).toBe('1')
    expect(call.headers['x-plex-token']).toMatch(/^transient-/)
    await expectKvClean([token, plexToken, call.headers['x-plex-token']!])
  })

  it('recovers when the server restarted: the cached transient token is replaced once', async () => {
    const h = harness()
    const { token } = await h.signIn()
    expect((await h.request(path, { headers: bearer(token) })).status).toBe(200)
    const before = h.fake.requests.at(-1)!.headers['x-plex-token']
    h.fake.restartServer(MAIN_SERVER_ID)
    const res = await h.request(path, { headers: bearer(token) })
    expect(res.status).toBe(200)
    const after = h.fake.requests.at(-1)!.headers['x-plex-token']
    expect(after).toMatch(/^transient-/)
    expect(after).not.toBe(before)
    const cached = (await (await h.request('/v1/transient-token', json({}, bearer(token)))).json()) as {
      token: string
      cached: boolean
    }
    expect(cached).toEqual(expect.objectContaining({ token: after, cached: true }))
  })

  it('a source the server does not know is 404', async () => {
    const h = harness()
    const { token } = await h.signIn()
    await expectProblem(
      await h.request('/v1/source-connection?source=server%3A%2F%2Fnope', { headers: bearer(token) }),
      404,
      'not_found',
    )
  })
})

describe('POST /v1/sign-out', () => {
  it('deletes the session and its cached tokens and clears the cookie', async () => {
    const h = harness()
    const { token } = await h.signIn()
    await h.request('/v1/transient-token', json({}, bearer(token)))
    // The session, the servers it discovered to learn what it may send to PLEX_SERVER_URL, the cached token.
    expect((await dumpKv()).length).toBe(3)
    const res = await h.request('/v1/sign-out', { method: 'POST', headers: bearer(token) })
    expect(res.status).toBe(204)
    expect(res.headers.get('Set-Cookie')).toBe(
      '__Host-plex_session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
    )
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(await dumpKv()).toEqual([])
    await expectProblem(await h.request('/v1/user', { headers: bearer(token) }), 401, 'unauthenticated')
  })

  it('works with a cookie session from an allowed origin', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const res = await h.request('/v1/sign-out', {
      method: 'POST',
      headers: { Cookie: `__Host-plex_session=${token}`, Origin: ALLOWED_ORIGIN },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(ALLOWED_ORIGIN)
  })
})

interface OpenApiOperation {
  requestBody: {
    content: Record<string, { schema: { required?: string[]; properties: Record<string, unknown> } }>
  }
  responses: Record<string, { description: string }>
  parameters: { name: string; in: string; required: boolean }[]
}

describe('GET /openapi.json and /docs', () => {
  it('documents every route with OpenAPI 3.1 generated from the valibot schemas', async () => {
    const res = await harness().request('/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as {
      openapi: string
      paths: Record<string, Record<string, OpenApiOperation>>
    }
    expect(doc.openapi).toBe('3.1.0')
    for (const [path, method] of [
      ['/v1/health', 'get'],
      ['/v1/sign-in', 'post'],
      ['/v1/user', 'get'],
      ['/v1/transient-token', 'post'],
      ['/v1/source-connection', 'get'],
      ['/v1/sign-out', 'post'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined()
    }
    const signIn = doc.paths['/v1/sign-in']!.post!
    const schema = signIn.requestBody.content['application/json']!.schema
    expect(schema.required).toEqual(['login', 'password'])
    expect(schema.properties.login).toMatchObject({ type: 'string', minLength: 1, maxLength: 256 })
    expect(signIn.requestBody.content['application/x-www-form-urlencoded']).toBeDefined()
    expect(signIn.responses['401']!.description).toContain('verification_code_required')
    const query = doc.paths['/v1/source-connection']!.get!.parameters
    expect(query.find((p: { name: string }) => p.name === 'source')).toMatchObject({
      in: 'query',
      required: true,
    })
  })

  it('serves an interactive reference at /docs', async () => {
    const res = await harness().request('/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/text\/html/)
    expect(await res.text()).toContain('/openapi.json')
  })
})
