import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test'
import { createFakePlex, defaultSeed } from '@plex-auth/fake-plex'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp } from '../src/app.ts'
import { DEFAULTS } from '../src/config.ts'
import { buildOpenApiDocument } from '../src/http/openapi-document.ts'
import { ipv6Network64 } from '../src/http/rate-limit.ts'
import {
  FAILURE_WINDOW_MS,
  PLEX_LOCKOUT_CLOSED_MS,
  RESERVATION_MARGIN_MS,
  SIGN_IN_GUARD_NAME,
  SignInGuard,
} from '../src/plex/sign-in-guard.ts'
import { API_ROUTES } from '../src/routes/index.ts'
import { ROUTE_DOCS } from '../src/routes/route-docs.ts'
import { sha256, toBase64url } from '../src/sessions/token-crypto.ts'
import {
  ALICE_TOKEN,
  ALLOWED_ORIGIN,
  bearer,
  clearKv,
  countingLimiter,
  dumpKv,
  expectKvClean,
  expectProblem,
  type Harness,
  harness,
  isolatedSignInGuard,
  json,
  MAIN_SERVER_ID,
  openKv,
  randomIp,
  SERVER_URL,
  TOKEN_PATTERN,
} from './helpers.ts'
import { JWT_SESSIONS, pinSignIn } from './session-helpers.ts'

/*
 * The security review (issue 7), each finding written as the attack: a stranger, a page script, a
 * hostile server, someone with write access to KV, a flood. Each test fails if the attack works.
 */

beforeEach(clearKv)

const BEARER = { 'X-Session-Mode': 'bearer' }
const FIREFOX_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0'
const CHROME_ANDROID =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'
const BOB_SHARE_TOKEN = 'BobShareAcc3ssT0k5nX'
const CABIN_ID = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432'
const CABIN_HTTPS = 'https://10-0-0-7.7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f.plex.direct:32400'
const CABIN_HTTP = 'http://10.0.0.7:32400'

interface PinCreated {
  id: string
  code: string
  authUrl: string
  pollToken: string
}

async function createPin(h: Harness, headers: Record<string, string> = {}): Promise<PinCreated> {
  const res = await h.request('/v1/pins', {
    method: 'POST',
    headers: { 'CF-Connecting-IP': randomIp(), ...headers },
  })
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as PinCreated
}

const clientIdOf = (pin: PinCreated) =>
  new URLSearchParams(new URL(pin.authUrl).hash.slice(2)).get('clientID')!

const signIn = (h: Harness, body: object, headers: Record<string, string> = {}) =>
  h.request('/v1/sign-in', json(body, { 'CF-Connecting-IP': randomIp(), ...BEARER, ...headers }))

async function sessionOf(res: Response): Promise<string> {
  expect(res.status, await res.clone().text()).toBe(201)
  return ((await res.json()) as { session: { token: string } }).session.token
}

describe('1. each PIN and each session is its own Plex device', () => {
  it("a stranger polls plex.tv for another person's PIN with the clientID from their own authUrl and gets nothing", async () => {
    const h = harness()
    const victim = await createPin(h)
    const attacker = await createPin(h)
    expect(clientIdOf(attacker)).not.toBe(clientIdOf(victim))
    h.fake.approvePin(victim.code, 'alice')
    // The attacker goes to plex.tv directly, walking PIN ids around their own with their clientID.
    for (const id of [Number(attacker.id) - 1, Number(victim.id), Number(attacker.id) + 1]) {
      const res = await h.fake.fetch(`https://plex.tv/api/v2/pins/${id}`, {
        headers: { Accept: 'application/json', 'X-Plex-Client-Identifier': clientIdOf(attacker) },
      })
      expect(res.status).toBe(404)
      expect(await res.text()).not.toContain(h.plexTokens.at(-1) ?? 'no token issued yet')
    }
    // The victim still gets their session.
    const res = await h.request(`/v1/pins/${victim.id}`, { headers: { 'X-Poll-Token': victim.pollToken } })
    expect(await res.json()).toMatchObject({ status: 'authorized' })
  })

  it('two sign-ins of one person do not sign each other out (Plex rotates tokens per identifier)', async () => {
    const h = harness()
    const laptop = await sessionOf(await signIn(h, { login: 'alice', password: 'alice-password' }))
    const phone = await sessionOf(await signIn(h, { login: 'alice', password: 'alice-password' }))
    expect((await h.request('/v1/user', { headers: bearer(laptop) })).status).toBe(200)
    expect((await h.request('/v1/user', { headers: bearer(phone) })).status).toBe(200)
    const ids = h.fake.requests
      .filter((r) => r.url.endsWith('/users/signin'))
      .map((r) => r.headers['x-plex-client-identifier'])
    expect(new Set(ids).size).toBe(2)
    for (const id of ids) expect(id).toMatch(TOKEN_PATTERN)
  })

  it('the user recognises each device by name, and sign-out removes exactly that device', async () => {
    const h = harness()
    const laptop = await sessionOf(
      await signIn(h, { login: 'alice', password: 'alice-password' }, { 'User-Agent': FIREFOX_MAC }),
    )
    const pin = await createPin(h, { 'User-Agent': CHROME_ANDROID })
    h.fake.approvePin(pin.code, 'alice')
    const polled = await h.request(`/v1/pins/${pin.id}`, {
      headers: { 'X-Poll-Token': pin.pollToken, ...BEARER },
    })
    const phone = ((await polled.json()) as { session: { token: string } }).session.token
    expect(
      h.fake
        .devices('alice')
        .map((d) => d.name)
        .sort(),
    ).toEqual(['Chrome on Android', 'Firefox on macOS'])

    expect((await h.request('/v1/sign-out', { method: 'POST', headers: bearer(laptop) })).status).toBe(204)
    expect(h.fake.devices('alice').map((d) => [d.name, d.clientIdentifier])).toEqual([
      ['Chrome on Android', clientIdOf(pin)],
    ])
    // Every call of the PIN's session goes as the PIN's device.
    expect((await h.request('/v1/user', { headers: bearer(phone) })).status).toBe(200)
    expect(h.fake.requests.at(-1)!.headers['x-plex-client-identifier']).toBe(clientIdOf(pin))
    expect(h.fake.requests.at(-1)!.headers['x-plex-device-name']).toBe('Chrome on Android')
  })

  it('a token exchange uses a fresh identifier for its calls, and sign-out never revokes that token', async () => {
    const h = harness()
    const res = await h.request('/v1/sessions', json({ plexToken: ALICE_TOKEN }, BEARER))
    const token = await sessionOf(res)
    const exchange = h.fake.requests.at(-1)!.headers['x-plex-client-identifier']
    expect(exchange).toMatch(TOKEN_PATTERN)
    expect((await h.request('/v1/user', { headers: bearer(token) })).status).toBe(200)
    expect(h.fake.requests.at(-1)!.headers['x-plex-client-identifier']).toBe(exchange)
    expect((await h.request('/v1/sign-out', { method: 'POST', headers: bearer(token) })).status).toBe(204)
    expect(h.fake.requests.some((r) => r.method === 'DELETE')).toBe(false)
  })
})

describe('2. no session token within reach of page scripts', () => {
  it('sign-in, PIN-authorized and exchange answers carry no token unless bearer mode is asked for', async () => {
    const h = harness()
    const answers: Response[] = []
    answers.push(
      await h.request(
        '/v1/sign-in',
        json({ login: 'alice', password: 'alice-password' }, { Origin: ALLOWED_ORIGIN }),
      ),
    )
    answers.push(
      await h.request('/v1/sessions', json({ plexToken: ALICE_TOKEN }, { Origin: ALLOWED_ORIGIN })),
    )
    const pin = await createPin(h)
    h.fake.approvePin(pin.code, 'carol')
    answers.push(await h.request(`/v1/pins/${pin.id}`, { headers: { 'X-Poll-Token': pin.pollToken } }))
    for (const res of answers) {
      expect(res.ok).toBe(true)
      const cookie = res.headers.get('Set-Cookie')!
      expect(cookie).toContain('HttpOnly')
      const token = /^__Host-plex_session=([^;]+);/.exec(cookie)![1]!
      const text = await res.text()
      expect(text).not.toContain(token)
      expect(JSON.parse(text).session).toEqual({ expiresAt: expect.any(String) })
      // And the cookie is a working session.
      expect(
        (await h.request('/v1/user', { headers: { Cookie: `__Host-plex_session=${token}` } })).status,
      ).toBe(200)
    }
  })
})

describe('2b. the account a page sees', () => {
  it('carries only documented, non-secret fields: a field plex.tv adds tomorrow does not leak', async () => {
    const h = harness()
    const { token } = await h.signIn()
    h.fake.inject({
      kind: 'status',
      status: 200,
      path: '/api/v2/user',
      times: 1,
      body: {
        id: 1,
        uuid: 'u',
        username: 'alice',
        title: 'Alice',
        email: 'a@example.com',
        authToken: 'SECRET-AUTH-TOKEN',
        queueEmail: 'SECRET-QUEUE@example.com',
        newlyAddedToken: 'SECRET-NEW-FIELD',
        subscription: { active: true, plan: 'lifetime', features: ['hardware_transcoding'] },
        services: [{ identifier: 'x', token: 'SECRET-SERVICE-TOKEN', secret: 'SECRET-S', status: 'online' }],
      },
    })
    const text = await (await h.request('/v1/user', { headers: bearer(token) })).text()
    expect(text).not.toContain('SECRET')
    expect(JSON.parse(text)).toEqual({
      id: 1,
      uuid: 'u',
      username: 'alice',
      title: 'Alice',
      email: 'a@example.com',
      subscription: { active: true, plan: 'lifetime', features: ['hardware_transcoding'] },
      services: [{ identifier: 'x', status: 'online' }],
    })
  })
})

describe('4. a token goes only where it belongs', () => {
  it('a configured server the user does not own gets its own access token, never the account token', async () => {
    const h = harness()
    const bob = await sessionOf(
      await signIn(h, { login: 'bob', password: 'bob-password', verificationCode: '123456' }),
    )
    const bobToken = h.plexTokens.at(-1)!
    const res = await h.request('/v1/transient-token', json({}, bearer(bob)))
    expect(res.status, await res.clone().text()).toBe(200)
    const toServer = h.fake.requests.filter((r) => r.url.startsWith(SERVER_URL))
    expect(toServer.map((r) => r.headers['x-plex-token'])).toEqual([BOB_SHARE_TOKEN])
    expect(
      h.fake.requests
        .filter((r) => r.headers['x-plex-token'] === bobToken)
        .every((r) => r.url.startsWith('https://plex.tv/')),
    ).toBe(true)
  })

  it('a configured server the account cannot see gets no token at all', async () => {
    const h = harness()
    const carol = await sessionOf(await signIn(h, { login: 'carol', password: 'carol-password' }))
    await expectProblem(await h.request('/v1/transient-token', json({}, bearer(carol))), 403, 'forbidden')
    await expectProblem(
      await h.request(`/v1/source-connection?source=server://${MAIN_SERVER_ID}`, { headers: bearer(carol) }),
      403,
      'forbidden',
    )
    expect(h.fake.requests.filter((r) => !r.url.startsWith('https://plex.tv/'))).toEqual([])
  })

  it('plain-http connections are refused unless ALLOW_HTTP_SERVERS, and https never falls back to http', async () => {
    const h = harness()
    const alice = (await h.signIn()).token
    expect((await h.request('/v1/servers', { headers: bearer(alice) })).status).toBe(200)
    await expectProblem(
      await h.request('/v1/transient-token', json({ server: CABIN_HTTP }, bearer(alice))),
      400,
      'server_not_allowed',
    )
    // The https connection fails: the worker gives up rather than sending the token over http.
    h.fake.inject({ kind: 'network', host: CABIN_ID })
    const before = h.fake.requests.length
    const res = await h.request('/v1/transient-token', json({ server: CABIN_ID }, bearer(alice)))
    expect(res.status).toBe(502)
    expect(h.fake.requests.slice(before).map((r) => new URL(r.url).origin)).toEqual([CABIN_HTTPS])
    h.fake.clearFaults()
    // Allowed by the operator, an explicit http connection may be used.
    const allowed = await h.request('/v1/transient-token', json({ server: CABIN_HTTP }, bearer(alice)), {
      ALLOW_HTTP_SERVERS: 'true',
    })
    expect(allowed.status).toBe(200)
    expect(new URL(h.fake.requests.at(-1)!.url).origin).toBe(CABIN_HTTP)
  })

  it('a hostile listing of many connections costs at most 3 attempts', async () => {
    const h = harness({ env: { PLEX_SERVER_URL: undefined } })
    const upstream = h.fake.fetch
    h.fake.fetch = async (input, init) => {
      const res = await upstream(input, init)
      if (!String(input instanceof Request ? input.url : input).includes('/api/v2/resources')) return res
      const devices = (await res.json()) as { clientIdentifier: string; connections: object[] }[]
      const flooded = devices.map((d) =>
        d.clientIdentifier === MAIN_SERVER_ID
          ? {
              ...d,
              connections: Array.from({ length: 20 }, (_, i) => ({
                protocol: 'https',
                address: `203.0.113.${i}`,
                port: 32400,
                uri: `https://203-0-113-${i}.unreachable.example:32400`,
                local: false,
                relay: false,
              })),
            }
          : d,
      )
      return Response.json(flooded, { status: res.status, headers: res.headers })
    }
    const alice = (await h.signIn()).token
    await h.request('/v1/servers', { headers: bearer(alice) })
    const before = h.fake.requests.length
    const res = await h.request('/v1/transient-token', json({ server: MAIN_SERVER_ID }, bearer(alice)))
    expect(res.status).toBe(502)
    expect(h.fake.requests.length - before).toBe(3)
  })
})

describe('5. sign-in abuse', () => {
  it('IPv6 clients are limited per /64', async () => {
    expect(ipv6Network64('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64')
    expect(ipv6Network64('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64')
    expect(ipv6Network64('::ffff:192.0.2.1')).toBe('192.0.2.1')
    expect(ipv6Network64('::ffff:c000:0201')).toBe('192.0.2.1')
    expect(ipv6Network64('64:ff9b::198.51.100.7')).toBe('198.51.100.7')
    expect(ipv6Network64('2001:db8:1:2::1.2.3.4')).toBe('2001:db8:1:2::/64')
    expect(ipv6Network64('2001:db8::')).toBe('2001:db8:0:0::/64')
    const limiter = countingLimiter(1)
    const h = harness({ env: { SIGN_IN_LIMITER: limiter } })
    const wrong = { login: 'alice', password: 'wrong' }
    await expectProblem(
      await signIn(h, wrong, { 'CF-Connecting-IP': '2001:db8:1:2::1' }),
      401,
      'invalid_credentials',
    )
    const other = { login: 'carol', password: 'wrong' }
    const res = await signIn(h, other, { 'CF-Connecting-IP': '2001:db8:1:2:aaaa:bbbb:cccc:dddd' })
    await expectProblem(res, 429, 'rate_limited')
    expect(limiter.keys.filter((k) => k.startsWith('ip:'))).toEqual([
      'ip:2001:db8:1:2::/64',
      'ip:2001:db8:1:2::/64',
    ])
  })

  it("one attacker guessing passwords cannot get the worker's address locked out at plex.tv", async () => {
    let clock = Date.now()
    const h = harness({
      now: () => clock,
      fake: { now: () => clock },
      env: { SIGN_IN_GUARD: isolatedSignInGuard() },
    })
    // Many addresses and logins, so no per-IP or per-login limit stops them: only the worker-wide budget.
    const answers: number[] = []
    for (let i = 0; i < 12; i++) {
      const res = await signIn(h, { login: `victim${i}@example.com`, password: `guess-${i}` })
      answers.push(res.status)
      if (res.status === 429) expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0)
    }
    // The default budget, SIGN_IN_FAILURE_BUDGET = 3, is below the fake's lockout at 5.
    expect(answers.slice(0, 3)).toEqual([401, 401, 401])
    expect(answers.slice(3).every((s) => s === 429)).toBe(true)
    const reachedPlex = h.fake.requests.filter((r) => r.url.endsWith('/users/signin')).length
    expect(reachedPlex).toBe(3) // the fake locks the address out at 5
    // PIN sign-in keeps working meanwhile.
    const pin = await createPin(h)
    h.fake.approvePin(pin.code, 'alice')
    expect(
      (await h.request(`/v1/pins/${pin.id}`, { headers: { 'X-Poll-Token': pin.pollToken } })).status,
    ).toBe(200)
    // Once the pause is over, a real user signs in: plex.tv never locked the address.
    clock += 61_000
    expect((await signIn(h, { login: 'alice', password: 'alice-password' })).status).toBe(201)
  })

  it('plex.tv saying the address is locked out pauses password sign-in without asking again', async () => {
    const h = harness({
      fake: { signInFailuresBeforeLockout: 1 },
      // A budget far from spent: the pause below is the lockout's alone.
      env: { SIGN_IN_GUARD: isolatedSignInGuard(), SIGN_IN_FAILURE_BUDGET: '100' },
    })
    await expectProblem(await signIn(h, { login: 'alice', password: 'x' }), 401, 'invalid_credentials')
    await expectProblem(await signIn(h, { login: 'alice', password: 'alice-password' }), 403, 'locked_out')
    const asked = h.fake.requests.length
    const res = await signIn(h, { login: 'alice', password: 'alice-password' })
    await expectProblem(res, 429, 'rate_limited')
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(600)
    expect(h.fake.requests.length).toBe(asked)
  })

  it('isolates guessing at once share one budget: attempts in flight count, plex.tv never locks the address', async () => {
    let clock = Date.now()
    const fake = createFakePlex({ now: () => clock })
    // Four isolates of one deployment: their own app and memory, one plex.tv, one SignInGuard instance.
    const guard = isolatedSignInGuard()
    const isolates = Array.from({ length: 4 }, () => createApp({ fetch: fake.fetch, now: () => clock }))
    const workerEnv = { ...env, SIGN_IN_LIMITER: undefined, SIGN_IN_GUARD: guard }
    // As a deployment runs them: with an execution context, where the settle goes to waitUntil (chained
    // on plex.tv's answer, so a client that disconnects cannot skip it).
    let handedToWaitUntil = 0
    const attempt = async (app: (typeof isolates)[number], login: string, password: string) => {
      const ctx = createExecutionContext()
      const waitUntil = ctx.waitUntil.bind(ctx)
      ctx.waitUntil = (promise) => {
        handedToWaitUntil++
        waitUntil(promise)
      }
      const init = json({ login, password }, { 'CF-Connecting-IP': randomIp(), ...BEARER })
      const res = await app.fetch(new Request('https://worker.test/v1/sign-in', init), workerEnv, ctx)
      await waitOnExecutionContext(ctx)
      return res
    }
    // Every guess is sent before plex.tv answers any: only a reservation made first can stop them.
    const guesses = await Promise.all(
      isolates.flatMap((app, i) =>
        [0, 1, 2].map((j) => attempt(app, `victim${i}-${j}@example.com`, 'guess')),
      ),
    )
    const statuses = guesses.map((res) => res.status).sort()
    expect(statuses).toEqual([...Array(3).fill(401), ...Array(9).fill(429)])
    for (const res of guesses.filter((r) => r.status === 429)) await expectProblem(res, 429, 'rate_limited')
    // Another wave while those failures count: nothing more reaches plex.tv.
    const again = await Promise.all(isolates.map((app) => attempt(app, 'victim@example.com', 'guess')))
    expect(again.map((res) => res.status)).toEqual([429, 429, 429, 429])
    const reachedPlex = fake.requests.filter((r) => r.url.endsWith('/users/signin')).length
    expect(reachedPlex).toBeLessThan(5)
    expect(handedToWaitUntil).toBe(reachedPlex)
    clock += 61_000
    const alice = await attempt(isolates[3]!, 'alice', 'alice-password')
    expect(alice.status, await alice.clone().text()).toBe(201)
  })

  it('a reservation nobody settles (a cancelled invocation) frees itself instead of closing sign-in for good', async () => {
    let clock = Date.now()
    const guard = isolatedSignInGuard()
    const h = harness({ now: () => clock, fake: { now: () => clock }, env: { SIGN_IN_GUARD: guard } })
    const stub = guard.get(guard.idFromName(SIGN_IN_GUARD_NAME))
    // Three invocations reserved a slot and were cancelled before they could settle it.
    for (let i = 0; i < 3; i++) expect((await stub.reserve(clock)).ok).toBe(true)
    const paused = await signIn(h, { login: 'alice', password: 'alice-password' })
    await expectProblem(paused, 429, 'rate_limited')
    // Plex may have counted each as a failure as late as its deadline: they count until a window after it.
    const deadline = DEFAULTS.timeoutMs + RESERVATION_MARGIN_MS
    expect(Number(paused.headers.get('Retry-After'))).toBeLessThanOrEqual(deadline / 1000)
    clock += deadline + 1000
    await expectProblem(await signIn(h, { login: 'alice', password: 'alice-password' }), 429, 'rate_limited')
    clock += FAILURE_WINDOW_MS
    expect((await signIn(h, { login: 'alice', password: 'alice-password' })).status).toBe(201)
    // The slot of a sign-in that did settle is free again at once.
    expect((await signIn(h, { login: 'alice', password: 'alice-password' })).status).toBe(201)
  })

  it('SignInGuard: reservations and failures share the budget, a lockout closes it, state survives eviction', async () => {
    const guard = isolatedSignInGuard()
    const stub = guard.get(guard.idFromName(SIGN_IN_GUARD_NAME))
    const now = Date.now()
    const limits = { budget: 2, holdMs: 15_000 }
    const first = await stub.reserve(now, limits)
    const second = await stub.reserve(now, limits)
    if (!first.ok || !second.ok) expect.fail('two reservations within a budget of 2')
    expect(await stub.reserve(now, limits)).toEqual({ ok: false, retryAfterSeconds: 15 })
    await stub.settle(first.id, 'ok', now + 1000)
    const third = await stub.reserve(now + 1000, limits)
    if (!third.ok) expect.fail('a settled success frees its slot')
    await stub.settle(second.id, 'failed', now + 2000)
    await stub.settle(third.id, 'failed', now + 3000)
    expect(await stub.reserve(now + 3000, limits)).toEqual({ ok: false, retryAfterSeconds: 59 })
    // A fresh instance on the same storage (an eviction) still sees both failures.
    await runInDurableObject(stub, (_instance, state) => {
      const revived = new SignInGuard(state, env)
      expect(revived.reserve(now + 3000, limits)).toMatchObject({ ok: false })
      expect(revived.reserve(now + 2000 + FAILURE_WINDOW_MS, limits)).toMatchObject({ ok: true })
    })
    const lockedOut = await stub.reserve(now + 3000 + FAILURE_WINDOW_MS, { budget: 100 })
    if (!lockedOut.ok) expect.fail('both failures left the window')
    await stub.settle(lockedOut.id, 'locked_out', now + 70_000)
    expect(await stub.reserve(now + 70_000, { budget: 100 })).toEqual({ ok: false, retryAfterSeconds: 900 })
    expect((await stub.reserve(now + 70_000 + PLEX_LOCKOUT_CLOSED_MS, { budget: 100 })).ok).toBe(true)
  })

  it('SIGN_IN_FAILURE_BUDGET outside 1 to 100 is a misconfiguration, named', async () => {
    for (const budget of ['0', '101', 'many']) {
      const res = await harness().request('/v1/user', {}, { SIGN_IN_FAILURE_BUDGET: budget })
      const body = await expectProblem(res, 500, 'misconfigured')
      expect(body.detail).toContain('SIGN_IN_FAILURE_BUDGET')
    }
  })

  it('2FA codes have their own small allowance per login', async () => {
    const limiter = countingLimiter(3)
    const h = harness({ env: { VERIFICATION_CODE_LIMITER: limiter } })
    for (const code of ['000001', '000002', '000003']) {
      await expectProblem(
        await signIn(h, { login: 'bob', password: 'bob-password', verificationCode: code }),
        401,
        'invalid_credentials',
      )
    }
    const asked = h.fake.requests.length
    await expectProblem(
      await signIn(h, { login: 'BOB ', password: 'bob-password', verificationCode: '123456' }),
      429,
      'rate_limited',
    )
    expect(h.fake.requests.length).toBe(asked)
    expect(new Set(limiter.keys).size).toBe(1)
    expect(limiter.keys[0]).not.toContain('bob')
  })
})

describe('6. upstream answers are bounded', () => {
  it('1 MB of hostile XML from a server is answered at once, without reading it whole', async () => {
    const h = harness()
    const alice = (await h.signIn()).token
    await h.request('/v1/servers', { headers: bearer(alice) })
    const hostile = `<errors>${'<error '.repeat(180_000)}`
    h.fake.inject({
      kind: 'status',
      status: 401,
      host: MAIN_SERVER_ID,
      body: hostile,
      headers: { 'Content-Type': 'text/xml' },
    })
    const started = performance.now()
    const res = await h.request('/v1/transient-token', json({}, bearer(alice)))
    // A complexity check, not a benchmark: the old XML scan took about 43 s on this body.
    expect(performance.now() - started).toBeLessThan(1000)
    await expectProblem(res, 502, 'upstream_invalid_response')
  })

  it('an oversized answer from plex.tv is refused as invalid, and the session survives', async () => {
    const h = harness()
    const alice = (await h.signIn()).token
    h.fake.inject({
      kind: 'status',
      status: 200,
      path: '/api/v2/user',
      times: 1,
      body: { username: 'alice', padding: 'x'.repeat(70 * 1024) },
    })
    await expectProblem(
      await h.request('/v1/user', { headers: bearer(alice) }),
      502,
      'upstream_invalid_response',
    )
    expect((await h.request('/v1/user', { headers: bearer(alice) })).status).toBe(200)
  })
})

describe('7. KV values are sealed whole', () => {
  it('someone who can write KV but has no key cannot claim a PIN, forge a session or redirect a token', async () => {
    const h = harness()
    // A PIN: the attacker rewrites its record with their own poll token's hash, in plaintext.
    const pin = await createPin(h)
    const attackerPollToken = 'A'.repeat(43)
    const forgedPin = {
      v: 2,
      pollTokenHash: await sha256(attackerPollToken),
      expiresAt: Date.now() + 600_000,
      clientIdentifier: clientIdOf(pin),
      deviceName: 'x',
    }
    await env.PLEX_AUTH_KV.put(`pin:${pin.id}`, JSON.stringify(forgedPin), { expirationTtl: 600 })
    h.fake.approvePin(pin.code, 'alice')
    await expectProblem(
      await h.request(`/v1/pins/${pin.id}`, { headers: { 'X-Poll-Token': attackerPollToken } }),
      404,
      'not_found',
    )
    // A session: a plaintext record with a stolen Plex token under the hash of a token the attacker chose.
    const chosen = toBase64url(new Uint8Array(32).fill(9))
    const forged = {
      v: 2,
      plexToken: ALICE_TOKEN,
      source: 'exchange',
      createdAt: 0,
      expiresAt: Date.now() + 3_600_000,
      clientIdentifier: 'x',
      deviceName: 'x',
    }
    await env.PLEX_AUTH_KV.put(`session:${await sha256(chosen)}`, JSON.stringify(forged), {
      expirationTtl: 600,
    })
    await expectProblem(await h.request('/v1/user', { headers: bearer(chosen) }), 401, 'unauthenticated')
    // Servers: the attacker points alice's server at their own host, in plaintext.
    const alice = await h.signIn()
    await h.request('/v1/servers', { headers: bearer(alice.token) })
    const key = `servers:${await sha256(alice.token)}`
    const real = (await openKv(key, await env.PLEX_AUTH_KV.get(key)))!
    const redirected = JSON.stringify(real).replaceAll(
      /https:\/\/[^"]+plex\.direct:\d+/g,
      'https://attacker.example',
    )
    await env.PLEX_AUTH_KV.put(key, redirected, { expirationTtl: 600 })
    const res = await h.request(
      '/v1/transient-token',
      json({ server: 'https://attacker.example' }, bearer(alice.token)),
    )
    await expectProblem(res, 400, 'server_not_allowed')
    expect(h.fake.requests.some((r) => r.url.includes('attacker.example'))).toBe(false)
  })
})

describe('8. key rotation', () => {
  it('a session and a PIN survive a rotation; new values are sealed with the new key', async () => {
    const oldKey = env.TOKEN_ENCRYPTION_KEY!
    const newKey = toBase64url(crypto.getRandomValues(new Uint8Array(32)))
    const h = harness()
    const alice = await h.signIn()
    const pin = await createPin(h)
    const rotated = { TOKEN_ENCRYPTION_KEY: newKey, TOKEN_ENCRYPTION_KEYS_PREVIOUS: `${oldKey}` }
    const sessionKey = `session:${await sha256(alice.token)}`
    const keyIdBefore = (await env.PLEX_AUTH_KV.get(sessionKey))!.split('.')[1]

    expect((await h.request('/v1/user', { headers: bearer(alice.token) }, rotated)).status).toBe(200)
    // Reading never writes: a write on read could bring back a session signed out meanwhile.
    expect((await env.PLEX_AUTH_KV.get(sessionKey))!.split('.')[1]).toBe(keyIdBefore)
    h.fake.approvePin(pin.code, 'carol')
    const polled = await h.request(
      `/v1/pins/${pin.id}`,
      { headers: { 'X-Poll-Token': pin.pollToken, ...BEARER } },
      rotated,
    )
    expect(polled.status).toBe(200)
    // The PIN's new session is sealed with the new key, and opens without the old one.
    const fresh = ((await polled.json()) as { session: { token: string } }).session.token
    const freshValue = (await env.PLEX_AUTH_KV.get(`session:${await sha256(fresh)}`))!
    expect(freshValue.split('.')[1]).not.toBe(keyIdBefore)
    const newOnly = { TOKEN_ENCRYPTION_KEY: newKey }
    expect((await h.request('/v1/user', { headers: bearer(fresh) }, newOnly)).status).toBe(200)
    // Retiring the old key too early ends the sessions it sealed: keep it for SESSION_TTL_SECONDS.
    await expectProblem(
      await h.request('/v1/user', { headers: bearer(alice.token) }, newOnly),
      401,
      'unauthenticated',
    )
    // Without the new key, what it sealed does not open.
    await expectProblem(await h.request('/v1/user', { headers: bearer(fresh) }), 401, 'unauthenticated')
    await expectKvClean([alice.token, alice.plexToken, pin.pollToken, ...h.plexTokens])
  })
})

describe('9. login CSRF', () => {
  const form = new URLSearchParams({ login: 'mallory', password: 'mallory-password' }).toString()
  const post = (headers: Record<string, string>) =>
    ({
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: form,
    }) as RequestInit

  it('a cross-site form cannot sign the victim in to the attacker account', async () => {
    const h = harness()
    const attempts: Record<string, string>[] = [
      {},
      { 'Sec-Fetch-Site': 'cross-site' },
      { Origin: 'null' },
      { Origin: 'https://evil.example' },
    ]
    for (const headers of attempts) {
      await expectProblem(await h.request('/v1/sign-in', post(headers)), 403, 'origin_not_allowed')
    }
    expect(h.fake.requests).toEqual([])
    // The same form from the worker's own page (the browser says same-origin) goes through to plex.tv.
    await expectProblem(
      await h.request('/v1/sign-in', post({ 'Sec-Fetch-Site': 'same-origin' })),
      401,
      'invalid_credentials',
    )
  })

  it('a cookie request that changes state needs an allowed Origin, or a same-origin fetch', async () => {
    const h = harness()
    const res = await h.request(
      '/v1/sign-in',
      json({ login: 'alice', password: 'alice-password' }, { Origin: ALLOWED_ORIGIN }),
    )
    const cookie = res.headers.get('Set-Cookie')!.split(';')[0]!
    const attempts: Record<string, string>[] = [
      {},
      { 'Sec-Fetch-Site': 'same-site' },
      { 'Sec-Fetch-Site': 'cross-site' },
    ]
    for (const headers of attempts) {
      await expectProblem(
        await h.request('/v1/sign-out', { method: 'POST', headers: { Cookie: cookie, ...headers } }),
        403,
        'origin_not_allowed',
      )
    }
    expect((await h.request('/v1/user', { headers: { Cookie: cookie } })).status).toBe(200)
    const out = await h.request('/v1/sign-out', {
      method: 'POST',
      headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' },
    })
    expect(out.status).toBe(204)
  })
})

describe('10. PIN abuse', () => {
  it('PIN creation is limited per IP (/64) and worker-wide', async () => {
    const perIp = countingLimiter(2)
    const h = harness({ env: { SIGN_IN_LIMITER: perIp } })
    const ip = { 'CF-Connecting-IP': '2001:db8:9:9::1' }
    await createPin(h, ip)
    await createPin(h, { 'CF-Connecting-IP': '2001:db8:9:9::2' })
    await expectProblem(await h.request('/v1/pins', { method: 'POST', headers: ip }), 429, 'rate_limited')

    const all = harness({ env: { PIN_CREATE_LIMITER: countingLimiter(3) } })
    for (let i = 0; i < 3; i++) await createPin(all)
    const flood = await all.request('/v1/pins', {
      method: 'POST',
      headers: { 'CF-Connecting-IP': randomIp() },
    })
    await expectProblem(flood, 429, 'rate_limited')
    expect(all.fake.requests.filter((r) => r.method === 'POST')).toHaveLength(3)
  })

  it('polls are limited per client IP across PINs, not only per PIN', async () => {
    const h = harness({ env: { PIN_POLL_LIMITER: countingLimiter(3) } })
    const pins = [await createPin(h), await createPin(h), await createPin(h), await createPin(h)]
    const ip = { 'CF-Connecting-IP': randomIp() }
    const statuses = []
    for (const pin of pins) {
      statuses.push(
        (await h.request(`/v1/pins/${pin.id}`, { headers: { 'X-Poll-Token': pin.pollToken, ...ip } })).status,
      )
    }
    expect(statuses).toEqual([200, 200, 200, 429])
  })
})

describe('11. real lifetimes are documented', () => {
  it('the OpenAPI document says transient tokens live 48 h and source-connection passes an accessToken through', () => {
    const doc = JSON.stringify(buildOpenApiDocument(API_ROUTES, ROUTE_DOCS))
    expect(doc).toContain('48 hours')
    expect(doc).toContain("Passes through the source's `accessToken`")
  })

  it('no KV key holds anything but hashes and ids after all of the above', async () => {
    const h = harness()
    await h.signIn()
    for (const entry of await dumpKv())
      expect(entry.name).toMatch(/^(session|transient|servers|pin|user|cron):[A-Za-z0-9_:-]+$/)
  })
})

describe('12. Plex Home', () => {
  const ALICE_UUID = 'a11ce0000000a11c'
  const KIDS_UUID = 'k1d5000000000k1d'
  const DANA_UUID = 'da4a000000000da4'
  const switchTo = (h: Harness, token: string, body: object) =>
    h.request('/v1/home/switch', json(body, bearer(token, BEARER)))
  const sessionKeys = async () => (await dumpKv()).filter((entry) => entry.name.startsWith('session:'))

  it("a managed user's session cannot switch into the admin's other managed users without their PIN", async () => {
    const h = harness()
    const alice = await h.signIn()
    const res = await switchTo(h, alice.token, { uuid: DANA_UUID })
    const dana = await sessionOf(res)
    // Listing gives Dana the Home's members, never a token: nothing there switches anyone.
    const list = await h.request('/v1/home/users', { headers: bearer(dana) })
    const text = await list.text()
    expect(list.status, text).toBe(200)
    const upstream = h.fake.requests.map((r) => r.headers['x-plex-token']).filter((t): t is string => !!t)
    for (const token of [alice.plexToken, ...upstream]) expect(text).not.toContain(token)
    expect(text).not.toMatch(/authToken|"pin"/)

    const before = await sessionKeys()
    for (const body of [{ uuid: KIDS_UUID }, { uuid: KIDS_UUID, pin: '0000' }]) {
      await expectProblem(await switchTo(h, dana, body), 403, 'home_pin_required')
    }
    // Nothing stored, and Dana is still Dana.
    expect(await sessionKeys()).toEqual(before)
    expect(await (await h.request('/v1/user', { headers: bearer(dana) })).json()).toMatchObject({
      uuid: DANA_UUID,
    })
  })

  it("a stranger's session cannot switch into alice's Home users: its own Home list lacks them, nothing stored", async () => {
    const h = harness()
    const carol = await h.signIn('carol')
    const exchanged = await h.request(
      '/v1/sessions',
      json({ plexToken: 'B0bT0kenFaKe4Yz8Wq1P' }, { 'CF-Connecting-IP': randomIp(), ...BEARER }),
    )
    const bob = await sessionOf(exchanged)
    const before = await dumpKv()
    for (const [token, body] of [
      [carol.token, { uuid: DANA_UUID }],
      [carol.token, { uuid: KIDS_UUID, pin: '1234' }],
      [carol.token, { uuid: ALICE_UUID }],
      [bob, { uuid: KIDS_UUID, pin: '1234' }],
    ] as const) {
      await expectProblem(await switchTo(h, token, body), 404, 'not_found')
    }
    expect(await dumpKv()).toEqual(before)
    // The target was looked up in the stranger's own Home list (asked with its own token), which does not
    // name it: no switch reached plex.tv at all.
    expect(h.fake.requests.filter((r) => r.url.includes('/switch'))).toEqual([])
    const lists = h.fake.requests.filter((r) => r.url.endsWith('/api/v2/home/users'))
    expect(lists.map((r) => r.headers['x-plex-token'])).toEqual([
      carol.plexToken,
      carol.plexToken,
      carol.plexToken,
      'B0bT0kenFaKe4Yz8Wq1P',
    ])
  })

  it('brute-forcing a Home PIN is limited per device and user, and a switch elsewhere does not reset it', async () => {
    const limiter = countingLimiter(3)
    const h = harness({ env: { VERIFICATION_CODE_LIMITER: limiter } })
    const alice = await h.signIn()
    const dana = await sessionOf(await switchTo(h, alice.token, { uuid: DANA_UUID }))
    for (const pin of ['0000', '0001', '0002'])
      await expectProblem(await switchTo(h, dana, { uuid: KIDS_UUID, pin }), 403, 'home_pin_required')
    const limited = await switchTo(h, dana, { uuid: KIDS_UUID, pin: '1234' })
    await expectProblem(limited, 429, 'rate_limited')
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0)
    // A new session on the same device (back to alice, then to Dana again) keeps the count.
    const back = await sessionOf(await switchTo(h, dana, { uuid: ALICE_UUID }))
    await expectProblem(await switchTo(h, back, { uuid: KIDS_UUID, pin: '1234' }), 429, 'rate_limited')
    // plex.tv saw three PIN guesses, no more; the limiter's keys carry no PIN and no raw identifier.
    const guesses = h.fake.requests.filter((r) => r.url.includes(`/home/users/${KIDS_UUID}/switch`))
    expect(guesses).toHaveLength(3)
    expect(new Set(limiter.keys).size).toBe(1)
    expect(limiter.keys[0]).toMatch(new RegExp(`^home-pin:[A-Za-z0-9_-]{43}:${KIDS_UUID}$`))
    const device = guesses[0]!.headers['x-plex-client-identifier']!
    expect(limiter.keys[0]).not.toContain(device)
    // Switching without a PIN (Dana, the way back) is not counted.
    expect(limiter.keys).toHaveLength(5)
  })

  it('a switched session carries the admin token sealed only: KV stays clean', async () => {
    const h = harness()
    const alice = await h.signIn()
    const kids = await sessionOf(await switchTo(h, alice.token, { uuid: KIDS_UUID, pin: '1234' }))
    await h.request('/v1/user', { headers: bearer(kids) })
    const upstream = h.fake.requests.map((r) => r.headers['x-plex-token']).filter((t): t is string => !!t)
    const entries = await expectKvClean([
      ...new Set([alice.plexToken, ...upstream]),
      alice.token,
      kids,
      '1234',
    ])
    const [session] = entries.filter((entry) => entry.name.startsWith('session:'))
    expect(await openKv(session!.name, session!.value)).toMatchObject({
      home: { adminToken: alice.plexToken, adminUuid: ALICE_UUID, userUuid: KIDS_UUID },
    })
  })

  it("signing out of a switched session revokes the admin's token it carries, not only the Home user's", async () => {
    const h = harness()
    const alice = await h.signIn()
    const dana = await sessionOf(await switchTo(h, alice.token, { uuid: DANA_UUID }))
    expect((await h.request('/v1/sign-out', { method: 'POST', headers: bearer(dana) })).status).toBe(204)
    const revoked = h.fake.requests.filter((r) => r.method === 'DELETE').map((r) => r.headers['x-plex-token'])
    expect(revoked).toContain(alice.plexToken)
    expect(revoked).toHaveLength(2)
    // plex.tv no longer takes the admin's token: nobody can reopen the account with it.
    await expectProblem(
      await h.request('/v1/sessions', json({ plexToken: alice.plexToken })),
      401,
      'invalid_credentials',
    )
  })

  it('a kid session cannot become a protected admin without the PIN, nor copy itself', async () => {
    const seed = structuredClone(defaultSeed)
    seed.accounts[0]!.home!.adminPin = '9999'
    const h = harness({ fake: { seed } })
    const alice = await h.signIn()
    const dana = await sessionOf(await switchTo(h, alice.token, { uuid: DANA_UUID }))
    // A switch to the user the session already is would only copy it: refused, nothing opened.
    const before = await sessionKeys()
    await expectProblem(await switchTo(h, dana, { uuid: DANA_UUID }), 400, 'invalid_request')
    expect(await sessionKeys()).toEqual(before)
    // Back to the admin: Plex asks the admin's PIN, and so does the worker.
    await expectProblem(await switchTo(h, dana, { uuid: ALICE_UUID }), 403, 'home_pin_required')
    await expectProblem(await switchTo(h, dana, { uuid: ALICE_UUID, pin: '0000' }), 403, 'home_pin_required')
    const back = await switchTo(h, dana, { uuid: ALICE_UUID, pin: '9999' })
    const admin = await sessionOf(back)
    expect(await (await h.request('/v1/user', { headers: bearer(admin) })).json()).toMatchObject({
      uuid: ALICE_UUID,
    })
  })

  it("a Home user's session sees and ends only itself, never the admin's other sessions", async () => {
    const h = harness()
    const phone = await h.signIn()
    const laptop = await h.signIn()
    const dana = await sessionOf(await switchTo(h, laptop.token, { uuid: DANA_UUID }))
    const listed = (await (await h.request('/v1/sessions', { headers: bearer(dana) })).json()) as {
      sessions: { id: string; current: boolean }[]
    }
    expect(listed.sessions).toHaveLength(1)
    expect(listed.sessions[0]!.current).toBe(true)
    const phoneId = (
      (await (await h.request('/v1/sessions', { headers: bearer(phone.token) })).json()) as {
        sessions: { id: string; current: boolean }[]
      }
    ).sessions.find((s) => s.current)!.id
    await expectProblem(
      await h.request(`/v1/sessions/${phoneId}`, { method: 'DELETE', headers: bearer(dana) }),
      404,
      'not_found',
    )
    expect((await h.request('/v1/sign-out', json({ everywhere: true }, bearer(dana)))).status).toBe(204)
    expect((await h.request('/v1/user', { headers: bearer(phone.token) })).status).toBe(200)
  })
})

describe('13. no write brings a session back', () => {
  const DAY = 24 * 3600_000
  // The app takes its clock when it is made: fake it before the harness.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  /**
   * PLEX_AUTH_KV as another location sees it for a while after a sign-out (KV takes ~60 s to spread): reads
   * of `stale.name` answer the value captured before the sign-out; everything else goes to the real KV.
   */
  function staleLocation(stale: { name: string; value: string }): KVNamespace {
    const kv = env.PLEX_AUTH_KV!
    return new Proxy(kv, {
      get(target, prop) {
        if (prop === 'get')
          return (key: string, ...rest: unknown[]) =>
            key === stale.name
              ? Promise.resolve(stale.value)
              : (target.get as (...args: unknown[]) => unknown).call(target, key, ...rest)
        const value = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }

  async function captured(token: string): Promise<{ name: string; value: string }> {
    const name = `session:${await sha256(token)}`
    const value = await env.PLEX_AUTH_KV!.get(name)
    expect(value).not.toBeNull()
    return { name, value: value! }
  }

  /**
   * Uses `token` at the stale location `at` ms later; returns what that location answered. The session's
   * lineage (a Durable Object, strongly consistent) has ended it: the stale KV value alone no longer opens it.
   */
  async function afterSignOut(h: Harness, token: string, at: number, stale: KVNamespace): Promise<number> {
    vi.setSystemTime(Date.now() + at)
    // The other location still reads the session: it answers, and its keep-alive writes what it writes.
    const ctx = createExecutionContext()
    const answered = await h.request(
      '/v1/user',
      { headers: bearer(token) },
      { PLEX_AUTH_KV: stale, SESSION_CACHE_SECONDS: '0' },
      ctx,
    )
    await waitOnExecutionContext(ctx)
    // Once KV has spread, the sign-out holds everywhere: nothing wrote the session back.
    await expectProblem(
      await h.request('/v1/user', { headers: bearer(token) }, { SESSION_CACHE_SECONDS: '0' }),
      401,
      'unauthenticated',
    )
    expect((await dumpKv()).filter((e) => e.name.startsWith('session:'))).toEqual([])
    return answered.status
  }

  it('a daily keep-alive at a location that has not seen the sign-out', async () => {
    const h = harness()
    // An exchanged token: sign-out leaves it valid at plex.tv, so the stale keep-alive's ping succeeds.
    const res = await h.request(
      '/v1/sessions',
      json({ plexToken: ALICE_TOKEN }, { 'X-Session-Mode': 'bearer' }),
    )
    const { token } = ((await res.json()) as { session: { token: string } }).session
    const stale = await captured(token)
    expect((await h.request('/v1/sign-out', { method: 'POST', headers: bearer(token) })).status).toBe(204)
    const pinged = () => h.fake.requests.filter((r) => r.url.endsWith('/api/v2/ping')).length
    const before = pinged()
    expect(await afterSignOut(h, token, DAY + 3600_000, staleLocation(stale))).toBe(401)
    // The stale location refused the session before any keep-alive: no ping, no write.
    expect(pinged()).toBe(before)
    expect(await dumpKv()).toEqual([])
  })

  it('a JWT renewal at a location that has not seen the sign-out', async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    const stale = await captured(session.token)
    expect((await h.request('/v1/sign-out', { method: 'POST', headers: bearer(session.token) })).status).toBe(
      204,
    )
    const renewals = () => h.fake.requests.filter((r) => r.url.endsWith('/api/v2/auth/token')).length
    const before = renewals()
    expect(await afterSignOut(h, session.token, 6 * DAY + 3600_000, staleLocation(stale))).toBe(401)
    // The stale location refused the session: the device key renewed nothing.
    expect(renewals()).toBe(before)
  })
})
