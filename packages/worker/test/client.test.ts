import { beforeEach, describe, expect, it } from 'vitest'
import {
  createWorkerClient,
  isWorkerProblemError,
  type PinStatus,
  type WorkerClientOptions,
  WorkerProblemError,
} from '../src/client/client.ts'
import { API_ROUTES } from '../src/routes/index.ts'
import {
  ALICE_TOKEN,
  clearKv,
  type Harness,
  harness,
  MAIN_SERVER_ID,
  randomIp,
  SERVER_URL,
} from './helpers.ts'

const BASE_URL = 'https://worker.test'

beforeEach(clearKv)

interface Sent {
  method: string
  url: string
  headers: Record<string, string>
  credentials: string | undefined
  body: string | undefined
}

/**
 * The client's `fetch` pointed at the app in-process (`app.request`), recording what leaves the client.
 * Each request gets its own client IP so the sign-in limiter never interferes between tests.
 */
function connect(h: Harness, extra: Partial<WorkerClientOptions> = {}) {
  const sent: Sent[] = []
  const ip = randomIp()
  const fetch: typeof globalThis.fetch = async (input, init = {}) => {
    const headers = new Headers(init.headers)
    sent.push({
      method: init.method ?? 'GET',
      url: String(input),
      headers: Object.fromEntries(headers),
      credentials: credentialsOf(init),
      body: typeof init.body === 'string' ? init.body : undefined,
    })
    headers.set('CF-Connecting-IP', ip)
    return h.request(String(input), { ...init, headers })
  }
  const client = createWorkerClient({ baseUrl: BASE_URL, fetch, session: 'bearer', ...extra })
  return { client, sent }
}

/**
 * A tiny browser stand-in for cookie sessions: keeps the session cookie the worker sets and sends it
 * back, and sends the page's Origin (as browsers do on POST), which cookie-authenticated POSTs need.
 */
function browserLike(h: Harness) {
  let cookie: string | undefined
  const ip = randomIp()
  const seen: RequestInit[] = []
  const fetch: typeof globalThis.fetch = async (input, init = {}) => {
    seen.push(init)
    const headers = new Headers(init.headers)
    headers.set('CF-Connecting-IP', ip)
    if (credentialsOf(init) === 'include' && cookie) headers.set('Cookie', cookie)
    if (init.method === 'POST') headers.set('Origin', BASE_URL)
    const res = await h.request(String(input), { ...init, headers })
    const setCookie = res.headers.get('Set-Cookie')
    if (setCookie && credentialsOf(init) === 'include') {
      const [pair] = setCookie.split(';')
      cookie = pair!.endsWith('=') ? undefined : pair
    }
    return res
  }
  return { fetch, seen, cookie: () => cookie }
}

/** `credentials` of a RequestInit (workers-types leave it out of RequestInit; workerd accepts it). */
const credentialsOf = (init: RequestInit = {}): string | undefined =>
  (init as { credentials?: string }).credentials

async function rejection(promise: Promise<unknown>): Promise<WorkerProblemError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(WorkerProblemError)
  return error as WorkerProblemError
}

describe('createWorkerClient', () => {
  it('README example: bearer session, exact requests that leave the client', async () => {
    const h = harness()
    const { client, sent } = connect(h)
    const { session, user } = await client.signIn({ login: 'alice', password: 'alice-password' })
    expect(user).toMatchObject({ username: 'alice', email: 'alice@example.com' })
    expect(user).not.toHaveProperty('authToken')
    const authed = client.withSession({ bearer: session.token! })
    expect(await authed.getUser()).toMatchObject({ username: 'alice' })

    expect(sent[0]).toEqual({
      method: 'POST',
      url: `${BASE_URL}/v1/sign-in`,
      headers: {
        accept: 'application/json, application/problem+json',
        'content-type': 'application/json',
        'x-session-mode': 'bearer',
      },
      credentials: 'omit',
      body: JSON.stringify({ login: 'alice', password: 'alice-password' }),
    })
    expect(sent[1]).toEqual({
      method: 'GET',
      url: `${BASE_URL}/v1/user`,
      headers: {
        accept: 'application/json, application/problem+json',
        authorization: `Bearer ${session.token}`,
        'x-session-mode': 'bearer',
      },
      credentials: 'omit',
      body: undefined,
    })
  })

  it('GET /v1/health', async () => {
    const { client, sent } = connect(harness())
    expect(await client.health()).toEqual({ status: 'ok' })
    expect(sent[0]).toMatchObject({ method: 'GET', url: `${BASE_URL}/v1/health` })
  })

  it('keeps a path prefix of baseUrl and merges client and call headers', async () => {
    const sent: string[] = []
    const headersSeen: Headers[] = []
    const client = createWorkerClient({
      baseUrl: 'https://example.com/auth',
      headers: { 'X-App': 'demo' },
      fetch: async (input, init) => {
        sent.push(String(input))
        headersSeen.push(new Headers(init?.headers))
        return Response.json({ status: 'ok' })
      },
    })
    await client.health({ headers: { 'X-Call': '1' } })
    expect(sent).toEqual(['https://example.com/auth/v1/health'])
    expect(headersSeen[0]!.get('X-App')).toBe('demo')
    expect(headersSeen[0]!.get('X-Call')).toBe('1')
  })

  it('transient token and source connection for an owned server, then sign-out ends the session', async () => {
    const h = harness()
    const { client, sent } = connect(h)
    const { session } = await client.signIn({ login: 'alice', password: 'alice-password' })
    const alice = client.withSession({ bearer: session.token! })

    const transient = await alice.getTransientToken({ server: SERVER_URL })
    expect(transient.token).toMatch(/^transient-/)
    expect(transient.cached).toBe(false)
    expect(Date.parse(transient.expiresAt)).toBeGreaterThan(Date.now())
    expect((await alice.getTransientToken({ server: SERVER_URL })).cached).toBe(true)
    expect((await alice.getTransientToken({ server: SERVER_URL, fresh: true })).cached).toBe(false)

    const info = await alice.getSourceConnection({ source: `server://${MAIN_SERVER_ID}`, refresh: true })
    expect(info.clientIdentifier).toBe(MAIN_SERVER_ID)
    expect(info.connections.length).toBeGreaterThan(0)
    const query = new URL(sent.at(-1)!.url).searchParams
    expect(Object.fromEntries(query)).toEqual({ source: `server://${MAIN_SERVER_ID}`, refresh: '1' })

    await expect(alice.signOut()).resolves.toBeUndefined()
    const error = await rejection(alice.getUser())
    expect(error).toMatchObject({ status: 401, code: 'unauthenticated' })
  })

  it('turns problem+json into WorkerProblemError with every field, message readable', async () => {
    const { client } = connect(harness())
    const error = await rejection(client.signIn({ login: 'bob', password: 'bob-password' }))
    expect(error).toMatchObject({
      name: 'WorkerProblemError',
      type: 'urn:plex-auth:problem:verification_code_required',
      title: 'Verification code required',
      status: 401,
      code: 'verification_code_required',
    })
    expect(error.detail).toMatch(/two-factor/)
    expect(error.message).toBe(`${error.title}: ${error.detail}`)
    expect(error.response?.status).toBe(401)
    // The Response stays out of logs and JSON.
    expect(Object.keys(error)).not.toContain('response')
    expect(isWorkerProblemError(error, 'verification_code_required')).toBe(true)
    expect(isWorkerProblemError(error, 'forbidden')).toBe(false)

    const { user } = await client.signIn({
      login: 'bob',
      password: 'bob-password',
      verificationCode: '123456',
    })
    expect(user).toMatchObject({ username: 'bob' })
  })

  it('carries validation issues (never the submitted value)', async () => {
    const { client } = connect(harness())
    const error = await rejection(client.signIn({ login: '', password: 'secret-value' }))
    expect(error).toMatchObject({ status: 400, code: 'invalid_request' })
    expect(error.issues?.length).toBeGreaterThan(0)
    expect(error.issues![0]).toEqual({ path: expect.any(String), message: expect.any(String) })
    expect(JSON.stringify(error.issues)).not.toContain('secret-value')
  })

  it('reads Retry-After into retryAfter', async () => {
    const client = createWorkerClient({
      baseUrl: BASE_URL,
      fetch: async () =>
        new Response(
          JSON.stringify({
            type: 'urn:plex-auth:problem:rate_limited',
            title: 'Too many requests',
            status: 429,
            detail: 'Try later.',
            code: 'rate_limited',
          }),
          { status: 429, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '42' } },
        ),
    })
    expect(await rejection(client.health())).toMatchObject({ code: 'rate_limited', retryAfter: 42 })
  })

  it('reports an unreachable worker as network_error and a non-problem answer as invalid_response', async () => {
    const down = createWorkerClient({
      baseUrl: BASE_URL,
      fetch: async () => {
        throw new TypeError('fetch failed')
      },
    })
    const network = await rejection(down.health())
    expect(network).toMatchObject({ code: 'network_error', status: 0, title: 'Network error' })
    expect(network.cause).toBeInstanceOf(TypeError)

    const proxy = createWorkerClient({
      baseUrl: BASE_URL,
      fetch: async () =>
        new Response('<html>Bad gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }),
    })
    expect(await rejection(proxy.health())).toMatchObject({ code: 'invalid_response', status: 502 })

    const garbage = createWorkerClient({
      baseUrl: BASE_URL,
      fetch: async () =>
        new Response('not json', { status: 200, headers: { 'Content-Type': 'application/json' } }),
    })
    expect(await rejection(garbage.health())).toMatchObject({ code: 'invalid_response', status: 200 })
  })

  it('rejects with the abort reason, not a problem, when the signal aborts', async () => {
    const { client } = connect(harness())
    const controller = new AbortController()
    const reason = new Error('user left')
    controller.abort(reason)
    await expect(client.health({ signal: controller.signal })).rejects.toBe(reason)
  })

  it('cookie session: credentials include, the HttpOnly cookie carries the session, sign-out clears it', async () => {
    const h = harness()
    const browser = browserLike(h)
    const client = createWorkerClient({ baseUrl: BASE_URL, fetch: browser.fetch })
    await client.signIn({ login: 'alice', password: 'alice-password' })
    expect(browser.cookie()).toMatch(/^__Host-plex_session=[A-Za-z0-9_-]{43}$/)
    expect(await client.getUser()).toMatchObject({ username: 'alice' })
    expect((await client.getTransientToken()).token).toMatch(/^transient-/)
    await client.signOut()
    expect(browser.cookie()).toBeUndefined()
    expect(await rejection(client.getUser())).toMatchObject({ code: 'unauthenticated' })
    expect(browser.seen.every((init) => credentialsOf(init) === 'include')).toBe(true)
    expect(browser.seen.some((init) => new Headers(init.headers).has('Authorization'))).toBe(false)
  })
})

/** A scripted worker for the PIN polling loop: answers each poll from `answers`, in order. */
function scriptedPins(answers: (() => Response)[]) {
  const polls: { url: string; pollToken: string | null }[] = []
  const fetch: typeof globalThis.fetch = async (input, init) => {
    polls.push({ url: String(input), pollToken: new Headers(init?.headers).get('X-Poll-Token') })
    const next = answers.shift()
    if (!next) throw new Error('unexpected poll')
    return next()
  }
  return { client: createWorkerClient({ baseUrl: BASE_URL, fetch }), polls }
}

const problem =
  (status: number, code: string, headers: Record<string, string> = {}) =>
  () =>
    new Response(
      JSON.stringify({ type: `urn:plex-auth:problem:${code}`, title: code, status, detail: code, code }),
      {
        status,
        headers: { 'Content-Type': 'application/problem+json', ...headers },
      },
    )
const pending = () => Response.json({ status: 'pending' } satisfies PinStatus)
const authorized = () =>
  Response.json({
    status: 'authorized',
    session: { token: 's'.repeat(43), expiresAt: new Date(Date.now() + 3600_000).toISOString() },
    user: { id: 1, uuid: 'u', username: 'alice', title: 'alice', email: 'alice@example.com' },
  } satisfies PinStatus)
const PIN = { id: '123', pollToken: 'poll-token', expiresAt: new Date(Date.now() + 1800_000).toISOString() }

describe('waitForPin', () => {
  it('polls with the poll token and backoff until authorized, waiting out rate limits and blips', async () => {
    const { client, polls } = scriptedPins([
      pending,
      problem(429, 'rate_limited', { 'Retry-After': '0' }),
      pending,
      problem(502, 'upstream_error'),
      authorized,
    ])
    const pendings: number[] = []
    const started = Date.now()
    const signedIn = await client.waitForPin(PIN, {
      intervalMs: 10,
      maxIntervalMs: 20,
      onPending: (n) => pendings.push(n),
    })
    expect(signedIn).toEqual({
      session: expect.any(Object),
      user: expect.objectContaining({ username: 'alice' }),
    })
    expect(signedIn).not.toHaveProperty('status')
    expect(polls).toHaveLength(5)
    expect(polls.every((p) => p.url === `${BASE_URL}/v1/pins/123` && p.pollToken === 'poll-token')).toBe(true)
    expect(pendings).toEqual([1, 3])
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('rejects with pin_expired when the worker says so', async () => {
    const { client } = scriptedPins([pending, problem(410, 'pin_expired')])
    const error = await rejection(client.waitForPin(PIN, { intervalMs: 1 }))
    expect(error).toMatchObject({ status: 410, code: 'pin_expired' })
  })

  it('gives up on repeated upstream failures and on other problems at once', async () => {
    const failing = scriptedPins(Array.from({ length: 4 }, () => problem(504, 'upstream_timeout')))
    expect(await rejection(failing.client.waitForPin(PIN, { intervalMs: 1 }))).toMatchObject({
      code: 'upstream_timeout',
    })
    expect(failing.polls).toHaveLength(4)
    const forbidden = scriptedPins([problem(403, 'forbidden')])
    expect(await rejection(forbidden.client.waitForPin(PIN, { intervalMs: 1 }))).toMatchObject({
      code: 'forbidden',
    })
  })

  it('stops polling long after expiresAt even if the worker keeps saying pending', async () => {
    const { client, polls } = scriptedPins([pending])
    const expired = { ...PIN, expiresAt: new Date(Date.now() - 120_000).toISOString() }
    expect(await rejection(client.waitForPin(expired, { intervalMs: 1 }))).toMatchObject({
      code: 'pin_expired',
      status: 410,
    })
    expect(polls).toHaveLength(1)
  })

  it('stops when the signal aborts, between polls', async () => {
    const { client, polls } = scriptedPins(Array.from({ length: 50 }, () => pending))
    const controller = new AbortController()
    const waiting = client.waitForPin(PIN, {
      intervalMs: 5,
      maxIntervalMs: 5,
      signal: controller.signal,
      onPending: (n) => {
        if (n === 3) controller.abort(new Error('cancelled'))
      },
    })
    await expect(waiting).rejects.toThrow('cancelled')
    expect(polls).toHaveLength(3)
  })
})

describe('PIN sign-in, token exchange and servers against the app', () => {
  it('createPin, pollPin pending, approve at the fake, waitForPin authorized, then exactly once', async () => {
    const h = harness()
    const { client, sent } = connect(h)
    const pin = await client.createPin()
    expect(pin).toMatchObject({ id: expect.stringMatching(/^\d+$/), code: expect.any(String) })
    expect(pin.authUrl).toContain(`code=${pin.code}`)
    expect(await client.pollPin(pin)).toEqual({ status: 'pending' })
    expect(sent.at(-1)!.headers['x-poll-token']).toBe(pin.pollToken)
    expect(sent.at(-1)!.url).toBe(`${BASE_URL}/v1/pins/${pin.id}`)
    expect(sent.at(-1)!.url).not.toContain(pin.pollToken)

    h.fake.approvePin(pin.code, 'alice')
    const { session, user } = await client.waitForPin(pin, { intervalMs: 10 })
    expect(user).toMatchObject({ username: 'alice' })
    expect(await client.withSession({ bearer: session.token! }).getUser()).toMatchObject({
      username: 'alice',
    })
    // Claimable exactly once: afterwards the PIN is unknown.
    expect(await rejection(client.pollPin(pin))).toMatchObject({ status: 404, code: 'not_found' })
  })

  it('a PIN is not claimable without its poll token', async () => {
    const h = harness()
    const { client } = connect(h)
    const pin = await client.createPin()
    h.fake.approvePin(pin.code, 'alice')
    const forged = 'A'.repeat(43) // well-formed, but not this PIN's
    expect(await rejection(client.pollPin({ id: pin.id, pollToken: forged }))).toMatchObject({
      status: 404,
      code: 'not_found',
    })
    // The creator still can.
    expect(await client.waitForPin(pin, { intervalMs: 10 })).toMatchObject({ user: { username: 'alice' } })
  })

  it('an expired PIN rejects waitForPin with pin_expired', async () => {
    const h = harness()
    const { client } = connect(h)
    const pin = await client.createPin()
    h.fake.expirePin(pin.code)
    expect(await rejection(client.waitForPin(pin, { intervalMs: 10 }))).toMatchObject({
      status: 410,
      code: 'pin_expired',
    })
  })

  it('exchangeToken opens a session for a Plex token; getServers lists servers without tokens', async () => {
    const h = harness()
    const { client } = connect(h)
    const { session, user } = await client.exchangeToken({ plexToken: ALICE_TOKEN })
    expect(user).toMatchObject({ username: 'alice' })
    const alice = client.withSession({ bearer: session.token! })
    const { servers } = await alice.getServers()
    expect(servers.map((s) => s.name).sort()).toEqual(["Alice's Plex", 'Cabin'])
    expect(servers.find((s) => s.clientIdentifier === MAIN_SERVER_ID)).toMatchObject({ owned: true })
    expect(JSON.stringify(servers)).not.toContain(ALICE_TOKEN)
    expect(JSON.stringify(servers)).not.toMatch(/accessToken/)
    // A discovered server's clientIdentifier is a valid `server`.
    expect((await alice.getTransientToken({ server: MAIN_SERVER_ID })).token).toMatch(/^transient-/)

    expect(await rejection(client.exchangeToken({ plexToken: 'NotAPlexToken123' }))).toMatchObject({
      status: 401,
      code: 'invalid_credentials',
    })
  })
})

describe('sessions', () => {
  it('listSessions pages with the cursor of the previous page, newest first', async () => {
    const h = harness()
    const { client } = connect(h)
    const opened = []
    for (let i = 0; i < 52; i++) opened.push(await client.exchangeToken({ plexToken: ALICE_TOKEN }))
    const alice = client.withSession({ bearer: opened[0]!.session.token! })
    const first = await alice.listSessions()
    expect(first.sessions).toHaveLength(50)
    expect(first.cursor).toBeTypeOf('string')
    const second = await alice.listSessions({ cursor: first.cursor! })
    expect(second.sessions).toHaveLength(2)
    expect(second.cursor).toBeUndefined()
    expect(second.sessions.find((s) => s.current)).toBeDefined() // the oldest, last
  })
})

describe('coverage of the API', () => {
  it('has a call for every route of src/routes/index.ts', async () => {
    const { client, sent } = connect(harness())
    const { session } = await client.signIn({ login: 'alice', password: 'alice-password' })
    const alice = client.withSession({ bearer: session.token! })
    const pin = await client.createPin()
    // Each call once; what they answer is tested above, here only which routes they reach.
    await Promise.allSettled([
      client.health(),
      alice.getUser(),
      alice.getTransientToken(),
      alice.getSourceConnection({ source: `server://${MAIN_SERVER_ID}` }),
      client.pollPin(pin),
      client.exchangeToken({ plexToken: ALICE_TOKEN }),
      alice.getServers(),
      alice.getHomeUsers(),
      alice.getAccess(),
      alice.listSessions(),
      alice.endSession('x'.repeat(22)),
    ])
    const dana = await alice.switchHomeUser({ uuid: 'da4a000000000da4' })
    await alice.withSession({ bearer: dana.session.token! }).signOut()
    await client
      .withSession({ bearer: (await client.exchangeToken({ plexToken: ALICE_TOKEN })).session.token! })
      .signOutEverywhere()
    const reached = sent.map((s) => `${s.method} ${new URL(s.url).pathname}`)
    // Forward-auth is asked by reverse proxies, not by frontends: test/routes/forward-auth.test.ts plays them.
    // OpenID Connect is called by relying parties (apps, openid-client): test/oidc/ plays them.
    const byOthers = (path: string) =>
      path.startsWith('/v1/forward-auth') || path.startsWith('/v1/oidc/') || path.startsWith('/.well-known/')
    for (const route of API_ROUTES.filter((r) => !byOthers(r.path))) {
      expect(
        reached.some((r) => r.startsWith(`${route.method} `) && route.pattern.test(r.split(' ')[1]!)),
        `no client call reaches ${route.method} ${route.path}`,
      ).toBe(true)
    }
  })
})
