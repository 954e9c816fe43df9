import { env } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import { API_ROUTES } from '../src/routes/index.ts'
import { ROUTE_DOCS } from '../src/routes/route-docs.ts'
import {
  ALLOWED_ORIGIN,
  bearer,
  clearKv,
  dumpKv,
  expectProblem,
  harness,
  json,
  MAIN_SERVER_ID,
  randomIp,
} from './helpers.ts'

beforeEach(clearKv)

const signInInit = (body: unknown, headers: Record<string, string> = {}) =>
  json(body, { 'CF-Connecting-IP': randomIp(), ...headers })

describe('400 invalid_request', () => {
  it('names the path and what was expected, never the submitted value', async () => {
    const h = harness()
    const res = await h.request(
      '/v1/sign-in',
      signInInit({
        login: 12345,
        password: { secret: 'HUNTER2-SECRET' },
        rememberMe: 'yes-SECRET',
        verificationCode: 'abc-SECRET',
      }),
    )
    const body = await expectProblem(res, 400, 'invalid_request')
    expect(body.issues!.map((i) => i.path).sort()).toEqual([
      'login',
      'password',
      'rememberMe',
      'verificationCode',
    ])
    const text = JSON.stringify(body)
    expect(text).not.toMatch(/HUNTER2|SECRET|12345/)
    expect(h.fake.requests).toEqual([])
  })

  it('reports missing fields as Required', async () => {
    const body = await expectProblem(
      await harness().request('/v1/sign-in', signInInit({ login: 'alice' })),
      400,
      'invalid_request',
    )
    expect(body.issues).toEqual([{ path: 'password', message: 'Required' }])
  })

  it('refuses JSON that is not an object, and JSON that does not parse, without echoing it', async () => {
    const h = harness()
    await expectProblem(await h.request('/v1/sign-in', signInInit(['alice', 'pw'])), 400, 'invalid_request')
    const res = await h.request('/v1/sign-in', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"login":"alice","password":"SECRET-PW"',
    })
    const body = await expectProblem(res, 400, 'invalid_request')
    expect(JSON.stringify(body)).not.toContain('SECRET-PW')
  })

  it('validates the transient-token body and the source-connection query', async () => {
    const h = harness()
    const { token } = await h.signIn()
    await expectProblem(
      await h.request('/v1/transient-token', json({ type: 'other' }, bearer(token))),
      400,
      'invalid_request',
    )
    await expectProblem(
      await h.request('/v1/transient-token', json({ fresh: 'yes' }, bearer(token))),
      400,
      'invalid_request',
    )
    await expectProblem(
      await h.request('/v1/transient-token', json({ server: 'ftp://x.example' }, bearer(token))),
      400,
      'invalid_request',
    )
    await expectProblem(
      await h.request('/v1/transient-token', json({ server: 'https://a.example/path' }, bearer(token))),
      400,
      'invalid_request',
    )
    await expectProblem(
      await h.request('/v1/transient-token', json({ server: 'has spaces' }, bearer(token))),
      400,
      'invalid_request',
    )
    await expectProblem(
      await h.request('/v1/source-connection', { headers: bearer(token) }),
      400,
      'invalid_request',
    )
    await expectProblem(
      await h.request('/v1/source-connection?source=nope', { headers: bearer(token) }),
      400,
      'invalid_request',
    )
    await expectProblem(
      await h.request(`/v1/source-connection?source=server://${MAIN_SERVER_ID}&refresh=maybe`, {
        headers: bearer(token),
      }),
      400,
      'invalid_request',
    )
  })

  it('needs a server when PLEX_SERVER_URL is not set', async () => {
    const h = harness({ env: { PLEX_SERVER_URL: '' } })
    const { token } = await h.signIn()
    const body = await expectProblem(
      await h.request('/v1/transient-token', json({}, bearer(token))),
      400,
      'invalid_request',
    )
    expect(body.issues).toEqual([{ path: 'server', message: 'Required' }])
  })
})

describe('400 server_not_allowed', () => {
  it('refuses any server outside PLEX_SERVER_URL and ALLOWED_SERVER_URLS before any request', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const before = h.fake.requests.length
    for (const server of [
      'https://evil.example',
      'http://192-168-1-10.0f3b8a61c2d94e7f8a1b2c3d4e5f6a7b.plex.direct:32400',
      'some-client-id',
    ]) {
      await expectProblem(
        await h.request('/v1/transient-token', json({ server }, bearer(token))),
        400,
        'server_not_allowed',
      )
      await expectProblem(
        await h.request(`/v1/source-connection?source=server://x&server=${encodeURIComponent(server)}`, {
          headers: bearer(token),
        }),
        400,
        'server_not_allowed',
      )
    }
    expect(h.fake.requests.length).toBe(before)
  })

  it('allows ALLOWED_SERVER_URLS origins (trailing slash and spaces tolerated)', async () => {
    const cabin = 'https://10-0-0-7.7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f.plex.direct:32400'
    const h = harness({ env: { ALLOWED_SERVER_URLS: `https://other.example, ${cabin}/` } })
    const { token, plexToken } = await h.signIn()
    const res = await h.request('/v1/transient-token', json({ server: `${cabin}/` }, bearer(token)))
    expect(res.status).toBe(200)
    const call = h.fake.requests.at(-1)!
    expect(new URL(call.url).origin).toBe(cabin)
    expect(call.headers['x-plex-token']).toBe(plexToken)
  })
})

describe('401', () => {
  it('unauthenticated: no session, malformed, unknown, or another scheme', async () => {
    const h = harness()
    await expectProblem(await h.request('/v1/user'), 401, 'unauthenticated')
    await expectProblem(
      await h.request('/v1/user', { headers: { Authorization: 'Bearer' } }),
      401,
      'unauthenticated',
    )
    await expectProblem(
      await h.request('/v1/user', { headers: { Authorization: 'Basic YWxpY2U6cHc=' } }),
      401,
      'unauthenticated',
    )
    await expectProblem(
      await h.request('/v1/user', { headers: bearer('A'.repeat(43)) }),
      401,
      'unauthenticated',
    )
    const res = await h.request('/v1/user', { headers: { Cookie: '__Host-plex_session=nope' } })
    expect(res.headers.get('Set-Cookie')).toMatch(/Max-Age=0/)
    await expectProblem(res, 401, 'unauthenticated')
    await expectProblem(await h.request('/v1/sign-out', { method: 'POST' }), 401, 'unauthenticated')
    await expectProblem(await h.request('/v1/transient-token', json({})), 401, 'unauthenticated')
    await expectProblem(await h.request('/v1/source-connection?source=server://x'), 401, 'unauthenticated')
    expect(h.fake.requests).toEqual([])
  })

  it('invalid_credentials on a wrong password', async () => {
    const h = harness()
    const body = await expectProblem(
      await h.request('/v1/sign-in', signInInit({ login: 'alice', password: 'WRONG-SECRET' })),
      401,
      'invalid_credentials',
    )
    expect(JSON.stringify(body)).not.toContain('WRONG-SECRET')
    expect(await dumpKv()).toEqual([])
  })

  it('verification_code_required for a 2FA account without a code', async () => {
    const h = harness()
    await expectProblem(
      await h.request('/v1/sign-in', signInInit({ login: 'bob', password: 'bob-password' })),
      401,
      'verification_code_required',
    )
    const res = await h.request(
      '/v1/sign-in',
      signInInit({ login: 'bob', password: 'bob-password', verificationCode: '123456' }),
    )
    expect(res.status).toBe(201)
  })

  it('a wrong 2FA code is reported as the code, not as the login and password', async () => {
    const h = harness()
    const wrongCode = await expectProblem(
      await h.request(
        '/v1/sign-in',
        signInInit({ login: 'bob', password: 'bob-password', verificationCode: '000000' }),
      ),
      401,
      'invalid_credentials',
    )
    expect(wrongCode.detail).toMatch(/^Plex did not accept this 2FA code/)
    expect(JSON.stringify(wrongCode)).not.toContain('000000')
    const wrongPassword = await expectProblem(
      await h.request('/v1/sign-in', signInInit({ login: 'bob', password: 'nope' })),
      401,
      'invalid_credentials',
    )
    expect(wrongPassword.detail).toBe('Plex did not accept this login and password.')
  })
})

describe('403', () => {
  it('locked_out after repeated failures (Plex code 1031)', async () => {
    const h = harness()
    for (let i = 0; i < 5; i++) {
      await expectProblem(
        await h.request('/v1/sign-in', signInInit({ login: 'alice', password: 'nope' })),
        401,
        'invalid_credentials',
      )
    }
    await expectProblem(
      await h.request('/v1/sign-in', signInInit({ login: 'alice', password: 'alice-password' })),
      403,
      'locked_out',
    )
  })

  it('origin_not_allowed: a foreign Origin on any state-changing request', async () => {
    const h = harness()
    await expectProblem(
      await h.request(
        '/v1/sign-in',
        signInInit({ login: 'alice', password: 'alice-password' }, { Origin: 'https://evil.example' }),
      ),
      403,
      'origin_not_allowed',
    )
    expect(h.fake.requests).toEqual([])
    const { token } = await h.signIn()
    await expectProblem(
      await h.request('/v1/transient-token', json({}, bearer(token, { Origin: 'null' }))),
      403,
      'origin_not_allowed',
    )
  })

  it('origin_not_allowed: a cookie session changing state without an allowed Origin', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const cookie = { Cookie: `__Host-plex_session=${token}` }
    await expectProblem(
      await h.request('/v1/sign-out', { method: 'POST', headers: cookie }),
      403,
      'origin_not_allowed',
    )
    await expectProblem(
      await h.request('/v1/sign-out', {
        method: 'POST',
        headers: { ...cookie, Origin: 'https://evil.example' },
      }),
      403,
      'origin_not_allowed',
    )
    await expectProblem(await h.request('/v1/transient-token', json({}, cookie)), 403, 'origin_not_allowed')
    // Reading with the cookie needs no Origin; the session survived the refused requests.
    expect((await h.request('/v1/user', { headers: cookie })).status).toBe(200)
    // Same-origin (the demo page) and allowed origins may.
    expect(
      (await h.request('/v1/transient-token', json({}, { ...cookie, Origin: ALLOWED_ORIGIN }))).status,
    ).toBe(200)
    expect(
      (
        await h.request('http://localhost/v1/sign-out', {
          method: 'POST',
          headers: { ...cookie, Origin: 'http://localhost' },
        })
      ).status,
    ).toBe(204)
  })
})

describe('404, 405, 413, 415', () => {
  it('404 not_found for unknown paths, JSON or not', async () => {
    const h = harness()
    await expectProblem(await h.request('/v1/nope'), 404, 'not_found')
    await expectProblem(await h.request('/nope'), 404, 'not_found')
    // `/` is the demo page, a static asset the worker never sees (wrangler.toml [assets]).
    await expectProblem(await h.request('/', { method: 'POST' }), 404, 'not_found')
    await expectProblem(await h.request('/v1/health/'), 404, 'not_found')
  })

  it('405 method_not_allowed with Allow for known paths', async () => {
    const h = harness()
    const res = await h.request('/v1/sign-in')
    expect(res.headers.get('Allow')).toBe('POST, OPTIONS')
    await expectProblem(res, 405, 'method_not_allowed')
    const del = await h.request('/v1/user', { method: 'DELETE' })
    expect(del.headers.get('Allow')).toBe('GET, HEAD, OPTIONS')
    await expectProblem(del, 405, 'method_not_allowed')
    await expectProblem(await h.request('/docs', { method: 'POST' }), 405, 'method_not_allowed')
  })

  it('OPTIONS that is not a preflight answers Allow', async () => {
    const res = await harness().request('/v1/user', { method: 'OPTIONS' })
    expect(res.status).toBe(204)
    expect(res.headers.get('Allow')).toBe('GET, HEAD, OPTIONS')
  })

  it('413 payload_too_large above 16 KB, with or without Content-Length', async () => {
    const h = harness()
    const big = JSON.stringify({ login: 'alice', password: 'x'.repeat(17 * 1024) })
    await expectProblem(
      await h.request('/v1/sign-in', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: big,
      }),
      413,
      'payload_too_large',
    )
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1024)))
        controller.close()
      },
    })
    await expectProblem(
      await h.request('/v1/sign-in', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: stream,
      }),
      413,
      'payload_too_large',
    )
    expect(h.fake.requests).toEqual([])
  })

  it('413 from every route that reads a body, as its docs say (the harness checks the code is documented)', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const reading = API_ROUTES.filter((route) => ROUTE_DOCS.get(route)?.request?.body && !route.oauthErrors)
    expect(reading.length).toBeGreaterThanOrEqual(6)
    for (const route of reading) {
      const big = JSON.stringify({ padding: 'x'.repeat(17 * 1024) })
      const init = json({}, bearer(token, { Origin: ALLOWED_ORIGIN, 'CF-Connecting-IP': randomIp() }))
      const path = route.path.replace(/\{[^}]+\}/g, '123')
      await expectProblem(await h.request(path, { ...init, body: big }), 413, 'payload_too_large')
    }
  })

  it('415 unsupported_media_type where JSON is required', async () => {
    const h = harness()
    const { token } = await h.signIn()
    for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/json-seq']) {
      await expectProblem(
        await h.request('/v1/sign-in', {
          method: 'POST',
          // Same-origin, so the CSRF check lets it through to the content-type check.
          headers: { 'Content-Type': type, 'Sec-Fetch-Site': 'same-origin' },
          body: 'login=alice&password=x',
        }),
        415,
        'unsupported_media_type',
      )
    }
    await expectProblem(
      // A string body without a type goes as text/plain: same-origin here, to reach the type check.
      await h.request('/v1/sign-in', {
        method: 'POST',
        headers: { 'Sec-Fetch-Site': 'same-origin' },
        body: '{"login":"alice","password":"x"}',
      }),
      415,
      'unsupported_media_type',
    )
    await expectProblem(
      await h.request('/v1/transient-token', {
        method: 'POST',
        headers: bearer(token, {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Sec-Fetch-Site': 'same-origin',
        }),
        body: 'fresh=true',
      }),
      415,
      'unsupported_media_type',
    )
  })
})

describe('429 rate_limited', () => {
  it('limits sign-in per login (hashed) with the limiter binding, before asking Plex', async () => {
    const h = harness({ limiter: true, fake: { signInFailuresBeforeLockout: 1000 } })
    const login = `someone-${crypto.randomUUID()}@example.com`
    let limited: Response | undefined
    for (let i = 0; i < 15 && !limited; i++) {
      const res = await h.request('/v1/sign-in', signInInit({ login, password: 'x' }))
      if (res.status === 429) limited = res
      else expect(res.status).toBe(401)
    }
    expect(limited, 'limited within 15 attempts').toBeDefined()
    expect(limited!.headers.get('Retry-After')).toMatch(/^\d+$/)
    await expectProblem(limited!, 429, 'rate_limited')
    const signIns = h.fake.requests.filter((r) => r.url.endsWith('/users/signin')).length
    expect(signIns).toBeLessThanOrEqual(10)
  })

  it('limits sign-in per client IP', async () => {
    const h = harness({ limiter: true, fake: { signInFailuresBeforeLockout: 1000 } })
    const ip = randomIp()
    let status = 0
    for (let i = 0; i < 15 && status !== 429; i++) {
      const res = await h.request(
        '/v1/sign-in',
        json({ login: `u${i}-${crypto.randomUUID()}`, password: 'x' }, { 'CF-Connecting-IP': ip }),
      )
      status = res.status
    }
    expect(status).toBe(429)
  })

  it('passes on Plex’s own 429 with its Retry-After', async () => {
    const h = harness()
    const { token } = await h.signIn()
    h.fake.inject({
      kind: 'status',
      status: 429,
      path: '/api/v2/user',
      headers: { 'Retry-After': '30' },
      body: { errors: [{ code: 1003, message: 'API rate limit exceeded', status: 429 }] },
    })
    const res = await h.request('/v1/user', { headers: bearer(token) })
    expect(res.headers.get('Retry-After')).toBe('30')
    await expectProblem(res, 429, 'rate_limited')
  })
})

describe('upstream failures', () => {
  const cases = [
    ['a 500', { kind: 'status', status: 500, body: 'oops' }, 502, 'upstream_error'],
    [
      'a 503 HTML page',
      {
        kind: 'status',
        status: 503,
        body: '<html><body>down</body></html>',
        headers: { 'content-type': 'text/html' },
      },
      502,
      'upstream_error',
    ],
    ['a network failure', { kind: 'network' }, 502, 'upstream_error'],
    ['garbage', { kind: 'garbage' }, 502, 'upstream_invalid_response'],
    [
      'a 200 HTML page',
      {
        kind: 'status',
        status: 200,
        body: '<html><body>captive portal</body></html>',
        headers: { 'content-type': 'text/html' },
      },
      502,
      'upstream_invalid_response',
    ],
    [
      'a 200 XML body',
      {
        kind: 'status',
        status: 200,
        body: '<?xml version="1.0"?><user id="1"/>',
        headers: { 'content-type': 'application/xml' },
      },
      502,
      'upstream_invalid_response',
    ],
    [
      'a 200 JSON of the wrong shape',
      {
        kind: 'status',
        status: 200,
        body: { hello: 'world' },
        headers: { 'content-type': 'application/json' },
      },
      502,
      'upstream_invalid_response',
    ],
  ] as const

  for (const [name, fault, status, code] of cases) {
    it(`GET /v1/user: ${name} -> ${status} ${code}, session kept`, async () => {
      const h = harness()
      const { token, plexToken } = await h.signIn()
      h.fake.inject({ ...fault, path: '/api/v2/user' } as Parameters<typeof h.fake.inject>[0])
      const body = await expectProblem(await h.request('/v1/user', { headers: bearer(token) }), status, code)
      expect(JSON.stringify(body)).not.toContain(plexToken)
      h.fake.clearFaults()
      expect((await h.request('/v1/user', { headers: bearer(token) })).status).toBe(200)
    })
  }

  it('sign-in: 5xx, garbage and XML answers', async () => {
    const h = harness()
    h.fake.inject({ kind: 'status', status: 502, path: '/api/v2/users/signin', times: 1 })
    await expectProblem(
      await h.request('/v1/sign-in', signInInit({ login: 'alice', password: 'alice-password' })),
      502,
      'upstream_error',
    )
    h.fake.inject({ kind: 'garbage', path: '/api/v2/users/signin', times: 1 })
    await expectProblem(
      await h.request('/v1/sign-in', signInInit({ login: 'alice', password: 'alice-password' })),
      502,
      'upstream_invalid_response',
    )
    h.fake.inject({
      kind: 'status',
      status: 201,
      path: '/api/v2/users/signin',
      times: 1,
      body: '<user authToken="x"/>',
      headers: { 'content-type': 'application/xml' },
    })
    await expectProblem(
      await h.request('/v1/sign-in', signInInit({ login: 'alice', password: 'alice-password' })),
      502,
      'upstream_invalid_response',
    )
    expect(await dumpKv()).toEqual([])
  })

  it('504 upstream_timeout when plex.tv is slower than UPSTREAM_TIMEOUT_MS', async () => {
    const h = harness({ env: { UPSTREAM_TIMEOUT_MS: '50' } })
    const { token } = await h.signIn()
    h.fake.inject({ kind: 'delay', ms: 1000, path: '/api/v2/user' })
    const started = Date.now()
    await expectProblem(await h.request('/v1/user', { headers: bearer(token) }), 504, 'upstream_timeout')
    expect(Date.now() - started).toBeLessThan(800)
  })

  it('504 upstream_timeout when the server is slow', async () => {
    const h = harness({ env: { UPSTREAM_TIMEOUT_MS: '50' } })
    const { token } = await h.signIn()
    h.fake.inject({ kind: 'delay', ms: 1000, host: MAIN_SERVER_ID })
    await expectProblem(
      await h.request('/v1/transient-token', json({}, bearer(token))),
      504,
      'upstream_timeout',
    )
  })

  it('server HTML 500 and garbage on the PMS routes', async () => {
    const h = harness()
    const { token } = await h.signIn()
    h.fake.inject({
      kind: 'status',
      status: 500,
      host: MAIN_SERVER_ID,
      body: '<html>500</html>',
      headers: { 'content-type': 'text/html' },
      times: 1,
    })
    await expectProblem(
      await h.request('/v1/transient-token', json({}, bearer(token))),
      502,
      'upstream_error',
    )
    h.fake.inject({ kind: 'garbage', host: MAIN_SERVER_ID, times: 1 })
    await expectProblem(
      await h.request('/v1/transient-token', json({}, bearer(token))),
      502,
      'upstream_invalid_response',
    )
    expect((await h.request('/v1/transient-token', json({}, bearer(token)))).status).toBe(200)
    h.fake.inject({ kind: 'garbage', host: MAIN_SERVER_ID, path: '/security/resources', times: 1 })
    await expectProblem(
      await h.request(`/v1/source-connection?source=server://${MAIN_SERVER_ID}`, { headers: bearer(token) }),
      502,
      'upstream_invalid_response',
    )
  })
})

describe('500', () => {
  it('internal_error for anything unexpected, with no details', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const brokenKv = {
      get: () => Promise.reject(new Error(`KV exploded near ${token}`)),
      put: () => Promise.reject(new Error('nope')),
      delete: () => Promise.reject(new Error('nope')),
      list: () => Promise.reject(new Error('nope')),
      getWithMetadata: () => Promise.reject(new Error('nope')),
    } as unknown as KVNamespace
    const logged: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => logged.push(args)
    try {
      const res = await h.request('/v1/user', { headers: bearer(token) }, { PLEX_AUTH_KV: brokenKv })
      const body = await expectProblem(res, 500, 'internal_error')
      expect(body.detail).toBe('Something went wrong.')
      expect(JSON.stringify(body)).not.toMatch(/exploded|KV/)
    } finally {
      console.error = original
    }
    expect(logged.length).toBe(1)
    expect(JSON.stringify(logged)).not.toContain(token)
  })

  it('logs only stack frames: a multi-line error message never reaches the log', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const brokenKv = {
      get: () => Promise.reject(new Error(`KV exploded\nwhile reading ${token}\n    near ${token}`)),
    } as unknown as KVNamespace
    const logged: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => logged.push(args)
    try {
      const res = await h.request('/v1/user', { headers: bearer(token) }, { PLEX_AUTH_KV: brokenKv })
      await expectProblem(res, 500, 'internal_error')
    } finally {
      console.error = original
    }
    expect(logged.length).toBe(1)
    expect(JSON.stringify(logged)).not.toContain(token)
    expect(JSON.stringify(logged)).not.toContain('while reading')
  })

  it('env is still intact for the other tests', () => {
    expect(env.PLEX_AUTH_KV).toBeDefined()
  })
})
