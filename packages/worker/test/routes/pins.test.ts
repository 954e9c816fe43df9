import { beforeEach, describe, expect, it } from 'vitest'
import { PIN_CHECK_INTERVAL_MS } from '../../src/routes/pins.ts'
import { sha256 } from '../../src/sessions/token-crypto.ts'
import {
  ALLOWED_ORIGIN,
  bearer,
  clearKv,
  dumpKv,
  expectKvClean,
  expectProblem,
  type Harness,
  harness,
  json,
  openKv,
  randomIp,
  SEALED_VALUE,
  TOKEN_PATTERN,
} from '../helpers.ts'
import { ALICE_UUID, JWT_SESSIONS, pinSignIn, sealedSecrets, storedSession } from '../session-helpers.ts'

beforeEach(clearKv)

/** PIN sign-ins with a legacy token, as before Plex JWTs (PLEX_TOKEN_KIND=legacy). */
const LEGACY = { env: { PLEX_TOKEN_KIND: 'legacy' } }

interface PinCreated {
  id: string
  code: string
  authUrl: string
  expiresAt: string
  pollToken: string
}

async function createPin(h: Harness, body?: unknown): Promise<PinCreated> {
  const res = await h.request('/v1/pins', body === undefined ? { method: 'POST' } : json(body))
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as PinCreated
}

const poll = (h: Harness, pin: { id: string; pollToken: string }, headers: Record<string, string> = {}) =>
  h.request(`/v1/pins/${pin.id}`, { headers: { 'X-Poll-Token': pin.pollToken, ...headers } })

describe('POST /v1/pins', () => {
  it('creates a strong PIN at plex.tv and answers the app.plex.tv URL and a poll token (legacy)', async () => {
    const h = harness(LEGACY)
    const pin = await createPin(h)
    expect(pin.id).toMatch(/^\d+$/)
    expect(pin.pollToken).toMatch(TOKEN_PATTERN)
    expect(Date.parse(pin.expiresAt)).toBeGreaterThan(Date.now())
    const url = new URL(pin.authUrl)
    expect(`${url.origin}${url.pathname}`).toBe('https://app.plex.tv/auth')
    const fragment = new URLSearchParams(url.hash.replace(/^#\?/, ''))
    expect(fragment.get('code')).toBe(pin.code)
    expect(fragment.get('context[device][product]')).toBe('plex-auth')
    const call = h.fake.requests.at(-1)!
    expect(call.method).toBe('POST')
    expect(call.url).toBe('https://plex.tv/api/v2/pins?strong=true')
    // The PIN's own device: a random identifier, the one the auth URL shows.
    expect(fragment.get('clientID')).toMatch(TOKEN_PATTERN)
    expect(call.headers['x-plex-client-identifier']).toBe(fragment.get('clientID'))
  })

  it('stores only the hash of the poll token, once, under pin:<id> (legacy)', async () => {
    const h = harness(LEGACY)
    const pin = await createPin(h)
    const [entry, ...rest] = await expectKvClean([pin.pollToken])
    expect(rest).toEqual([])
    expect(entry!.name).toBe(`pin:${pin.id}`)
    expect(entry!.value).toMatch(SEALED_VALUE)
    expect(await openKv(entry!.name, entry!.value)).toEqual({
      v: 2,
      pollTokenHash: await sha256(pin.pollToken),
      expiresAt: Date.parse(pin.expiresAt),
      clientIdentifier: new URLSearchParams(new URL(pin.authUrl).hash.slice(2)).get('clientID'),
      deviceName: 'Web session',
    })
    expect(entry!.expiration! * 1000).toBeGreaterThanOrEqual(Date.parse(pin.expiresAt) + 590_000)
    expect(entry!.value).not.toContain(pin.code)
  })

  it('accepts a forwardUrl on an allowed origin only (no open redirect)', async () => {
    const h = harness()
    const pin = await createPin(h, { forwardUrl: `${ALLOWED_ORIGIN}/signed-in?x=1` })
    expect(new URLSearchParams(new URL(pin.authUrl).hash.slice(2)).get('forwardUrl')).toBe(
      `${ALLOWED_ORIGIN}/signed-in?x=1`,
    )
    const body = await expectProblem(
      await h.request('/v1/pins', json({ forwardUrl: 'https://evil.example/x' })),
      400,
      'invalid_request',
    )
    expect(body.issues).toEqual([{ path: 'forwardUrl', message: expect.stringContaining('allowed origin') }])
    expect(JSON.stringify(body)).not.toContain('evil')
    await expectProblem(
      await h.request('/v1/pins', json({ forwardUrl: 'javascript:alert(1)' })),
      400,
      'invalid_request',
    )
  })

  it('honours PLEX_APP_URL', async () => {
    const h = harness({ env: { PLEX_APP_URL: 'http://127.0.0.1:9999/auth' } })
    expect((await createPin(h)).authUrl).toMatch(/^http:\/\/127\.0\.0\.1:9999\/auth#\?clientID=/)
  })
})

describe('GET /v1/pins/{id}', () => {
  it('pending, then authorized with a session and the cookie exactly once (legacy)', async () => {
    let clock = Date.now()
    const h = harness({ now: () => clock, ...LEGACY })
    const pin = await createPin(h)
    const first = await poll(h, pin)
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ status: 'pending' })
    const before = await dumpKv()

    const plexToken = h.fake.approvePin(pin.code, 'alice')
    clock += PIN_CHECK_INTERVAL_MS
    const res = await poll(h, pin)
    expect(res.status).toBe(200)
    const text = await res.text()
    const body = JSON.parse(text) as { status: string; session: { expiresAt: string }; user: object }
    expect(body.status).toBe('authorized')
    expect(body.session).toEqual({ expiresAt: expect.any(String) })
    expect(body.user).toMatchObject({ username: 'alice' })
    expect(text).not.toContain(plexToken)
    const cookie = res.headers.get('Set-Cookie')!
    expect(cookie).toMatch(
      /^__Host-plex_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    )
    const sessionToken = /=([A-Za-z0-9_-]{43});/.exec(cookie)![1]!
    // Nothing a page's script can read holds the session token.
    expect(text).not.toContain(sessionToken)

    // The session works, carries the PIN's token as the PIN's own device, and KV holds no secret.
    expect((await h.request('/v1/user', { headers: bearer(sessionToken) })).status).toBe(200)
    const call = h.fake.requests.at(-1)!
    expect(call.headers['x-plex-token']).toBe(plexToken)
    expect(call.headers['x-plex-client-identifier']).toBe(
      new URLSearchParams(new URL(pin.authUrl).hash.slice(2)).get('clientID'),
    )
    const entries = await expectKvClean([plexToken, sessionToken, pin.pollToken])
    expect(entries.map((e) => e.name.split(':').slice(0, 2).join(':'))).toEqual([
      `session:${await sha256(sessionToken)}`,
    ])
    const stored = (await openKv(entries[0]!.name, entries[0]!.value))!
    expect(stored.source).toBe('pin')
    expect(stored).not.toHaveProperty('jwt')
    expect(before.map((e) => e.name)).toEqual([`pin:${pin.id}`])

    // Claimed: polling again never opens a second session.
    clock += PIN_CHECK_INTERVAL_MS
    await expectProblem(await poll(h, pin), 404, 'not_found')
    expect((await dumpKv()).filter((e) => e.name.startsWith('session:'))).toHaveLength(1)

    // Sign-out revokes the token the PIN gave (the worker obtained it).
    expect((await h.request('/v1/sign-out', { method: 'POST', headers: bearer(sessionToken) })).status).toBe(
      204,
    )
    const revoke = h.fake.requests.find((r) => r.method === 'DELETE')!
    expect(revoke.url).toBe('https://plex.tv/api/v2/users/signout')
    expect(revoke.headers['x-plex-token']).toBe(plexToken)
    expect(await dumpKv()).toEqual([])
  })

  it('never writes KV per poll, and asks plex.tv at most once a second per PIN', async () => {
    let clock = Date.now()
    const h = harness({ now: () => clock })
    const pin = await createPin(h)
    const kvBefore = JSON.stringify(await dumpKv())
    const checks = () =>
      h.fake.requests.filter((r) => r.method === 'GET' && r.url.includes('/api/v2/pins/')).length
    for (let i = 0; i < 10; i++) expect(await (await poll(h, pin)).json()).toEqual({ status: 'pending' })
    expect(checks()).toBe(1)
    clock += PIN_CHECK_INTERVAL_MS
    await poll(h, pin)
    expect(checks()).toBe(2)
    expect(JSON.stringify(await dumpKv())).toBe(kvBefore)
  })

  it('is throttled per PIN by PIN_POLL_LIMITER', async () => {
    const h = harness({ limiter: true })
    const pin = await createPin(h)
    let limited: Response | undefined
    // 45 > 2 x 20: some fixed 10 s window of miniflare's limiter sees more than its 20, wherever it starts.
    for (let i = 0; i < 45 && !limited; i++) {
      const res = await poll(h, pin)
      if (res.status === 429) limited = res
    }
    expect(limited).toBeDefined()
    expect(limited!.headers.get('Retry-After')).toBe('10')
    await expectProblem(limited!, 429, 'rate_limited')
  })

  it("lets no stranger spend the real poller's allowance by polling the same (guessable) id", async () => {
    const h = harness({ limiter: true })
    const pin = await createPin(h)
    const stranger = { id: pin.id, pollToken: 'x'.repeat(43) }
    const strangerIp = { 'CF-Connecting-IP': randomIp() }
    let strangerLimited = false
    for (let i = 0; i < 45; i++)
      if ((await poll(h, stranger, strangerIp)).status === 429) strangerLimited = true
    expect(strangerLimited).toBe(true)
    const res = await poll(h, pin, { 'CF-Connecting-IP': randomIp() })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(await res.json()).toEqual({ status: 'pending' })
  })

  it('HEAD never claims a PIN: a GET that changes state answers HEAD with 405', async () => {
    const h = harness()
    const pin = await createPin(h)
    h.fake.approvePin(pin.code, 'alice')
    const head = await h.request(`/v1/pins/${pin.id}`, {
      method: 'HEAD',
      headers: { 'X-Poll-Token': pin.pollToken },
    })
    expect(head.status).toBe(405)
    expect(head.headers.get('Allow')).toBe('GET, OPTIONS')
    expect(h.fake.requests.filter((r) => r.url.includes(`/pins/${pin.id}`))).toEqual([])
    // The PIN is still there for its GET.
    expect(await (await poll(h, pin)).json()).toMatchObject({ status: 'authorized' })
    for (const path of ['/v1/servers', '/v1/source-connection?source=server://x'])
      expect((await h.request(path, { method: 'HEAD' })).status).toBe(405)
    expect((await h.request('/v1/health', { method: 'HEAD' })).status).toBe(200)
  })

  it('needs the poll token of whoever created the PIN', async () => {
    const h = harness()
    const pin = await createPin(h)
    const other = await createPin(h)
    h.fake.approvePin(pin.code, 'alice')
    await expectProblem(await h.request(`/v1/pins/${pin.id}`), 401, 'unauthenticated')
    await expectProblem(
      await h.request(`/v1/pins/${pin.id}`, { headers: { 'X-Poll-Token': 'short' } }),
      401,
      'unauthenticated',
    )
    await expectProblem(await poll(h, { id: pin.id, pollToken: other.pollToken }), 404, 'not_found')
    await expectProblem(await poll(h, { id: '999999', pollToken: pin.pollToken }), 404, 'not_found')
    // A session token is no poll token either.
    await expectProblem(
      await h.request(`/v1/pins/${pin.id}`, { headers: bearer(pin.pollToken) }),
      401,
      'unauthenticated',
    )
    expect(h.fake.requests.filter((r) => r.url.includes(`/api/v2/pins/${pin.id}`))).toEqual([])
    // The rightful poller still gets it.
    expect(((await (await poll(h, pin)).json()) as { status: string }).status).toBe('authorized')
  })

  it('410 pin_expired once Plex expired the PIN', async () => {
    const h = harness()
    const pin = await createPin(h)
    h.fake.expirePin(pin.code)
    await expectProblem(await poll(h, pin), 410, 'pin_expired')
  })

  it('410 pin_expired past expiresAt without asking plex.tv', async () => {
    let clock = Date.now()
    const h = harness({ now: () => clock })
    const pin = await createPin(h)
    clock = Date.parse(pin.expiresAt) + 1
    const count = h.fake.requests.length
    await expectProblem(await poll(h, pin), 410, 'pin_expired')
    expect(h.fake.requests.length).toBe(count)
  })

  it('rejects ids that are not PIN ids', async () => {
    const h = harness()
    await expectProblem(
      await h.request('/v1/pins/abc', { headers: { 'X-Poll-Token': 'x'.repeat(43) } }),
      400,
      'invalid_request',
    )
    await expectProblem(await h.request('/v1/pins/1', { method: 'POST' }), 405, 'method_not_allowed')
  })

  it('upstream failures while polling are problems, and the PIN survives them', async () => {
    const h = harness()
    const pin = await createPin(h)
    h.fake.inject({ kind: 'status', status: 503, path: `/api/v2/pins/${pin.id}`, times: 1 })
    await expectProblem(await poll(h, pin), 502, 'upstream_error')
    h.fake.approvePin(pin.code, 'alice')
    expect(((await (await poll(h, pin)).json()) as { status: string }).status).toBe('authorized')
  })
})

describe('PIN sign-in with a Plex JWT (PLEX_TOKEN_KIND=jwt, opt-in)', () => {
  it('creates a device key for the PIN: its public JWK goes to clients.plex.tv, the private key stays sealed', async () => {
    const h = harness(JWT_SESSIONS)
    const pin = await createPin(h)
    const call = h.fake.requests.at(-1)!
    expect(call.method).toBe('POST')
    expect(call.url).toBe('https://clients.plex.tv/api/v2/pins')
    const sent = JSON.parse(call.body) as { jwk: Record<string, string>; strong: boolean }
    expect(sent.strong).toBe(true)
    expect(Object.keys(sent.jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'x'])
    // The PIN record holds the whole key, sealed: `d` appears nowhere in plaintext.
    const [entry] = await dumpKv()
    const record = (await openKv(entry!.name, entry!.value))!
    const deviceKey = record.deviceKey as { kid: string; privateJwk: { d: string; x: string } }
    expect(deviceKey.kid).toBe(sent.jwk.kid)
    expect(deviceKey.privateJwk.x).toBe(sent.jwk.x)
    await expectKvClean([deviceKey.privateJwk.d, pin.pollToken, ...(await sealedSecrets())])
  })

  it('the session holds the Plex JWT and the key, sealed; plex.tv calls carry the JWT as the PIN device', async () => {
    const h = harness(JWT_SESSIONS)
    const pin = await createPin(h)
    expect(h.fake.approvePin(pin.code, 'alice')).toBe('')
    const res = await poll(h, pin, { 'X-Session-Mode': 'bearer' })
    const body = (await res.json()) as { status: string; session: { token: string }; user: object }
    expect(body).toMatchObject({ status: 'authorized', user: { username: 'alice' } })
    // The poll proved possession of the key with a device JWT, at clients.plex.tv.
    const check = h.fake.requests.find((r) =>
      r.url.startsWith(`https://clients.plex.tv/api/v2/pins/${pin.id}?`),
    )
    expect(new URL(check!.url).searchParams.get('deviceJWT')).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/)
    const jwt = h.plexTokens.at(-1)!
    expect(jwt.split('.')).toHaveLength(3)
    expect(JSON.stringify(body)).not.toContain(jwt)

    const stored = (await storedSession(body.session.token))!
    expect(stored).toMatchObject({ source: 'pin', plexToken: jwt, accountUuid: ALICE_UUID })
    const credentials = stored.jwt as { expiresAt: number; deviceKey: { kid: string } }
    expect(credentials.expiresAt).toBeGreaterThan(Date.now() + 6.9 * 24 * 3600_000)
    expect(credentials.deviceKey.kid).toBe(h.fake.deviceKeys('alice')[0]!.thumbprint)

    expect((await h.request('/v1/user', { headers: bearer(body.session.token) })).status).toBe(200)
    const call = h.fake.requests.at(-1)!
    expect(call.url).toBe('https://plex.tv/api/v2/user')
    expect(call.headers['x-plex-token']).toBe(jwt)
    const clientIdentifier = new URLSearchParams(new URL(pin.authUrl).hash.slice(2)).get('clientID')
    expect(call.headers['x-plex-client-identifier']).toBe(clientIdentifier)
    expect(h.fake.devices('alice').map((d) => d.clientIdentifier)).toEqual([clientIdentifier])
    await expectKvClean([body.session.token, pin.pollToken, ...(await sealedSecrets())])

    // Sign-out revokes the JWT as the PIN's device: the device leaves "Authorized Devices".
    expect(
      (await h.request('/v1/sign-out', { method: 'POST', headers: bearer(body.session.token) })).status,
    ).toBe(204)
    expect(h.fake.requests.find((r) => r.method === 'DELETE')!.headers['x-plex-token']).toBe(jwt)
    expect(h.fake.devices('alice')).toEqual([])
    expect(await dumpKv()).toEqual([])
  })

  it('honours PLEX_CLIENTS_URL', async () => {
    const h = harness({ env: { ...JWT_SESSIONS.env, PLEX_CLIENTS_URL: 'https://plex.tv/' } })
    const session = await pinSignIn(h)
    expect(session.plexToken.split('.')).toHaveLength(3)
    const jwtCalls = h.fake.requests.filter((r) => /\/api\/v2\/pins/.test(r.url))
    expect(jwtCalls.length).toBeGreaterThan(0)
    for (const call of jwtCalls) expect(call.url).toMatch(/^https:\/\/plex\.tv\/api\/v2\/pins/)
  })

  it('PLEX_TOKEN_KIND must be jwt or legacy', async () => {
    const h = harness({ env: { PLEX_TOKEN_KIND: 'both' } })
    const body = await expectProblem(await h.request('/v1/pins', { method: 'POST' }), 500, 'misconfigured')
    expect(body.detail).toContain('PLEX_TOKEN_KIND')
    expect(body.detail).not.toContain('both')
  })
})
