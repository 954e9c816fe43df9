import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
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
  MAIN_SERVER_ID,
  openKv,
  type SignedIn,
  TOKEN_PATTERN,
} from '../helpers.ts'
import { JWT_SESSIONS, pinSignIn, sealedSecrets, storedSession } from '../session-helpers.ts'

beforeEach(clearKv)

const ALICE_UUID = 'a11ce0000000a11c'
const KIDS_UUID = 'k1d5000000000k1d'
const DANA_UUID = 'da4a000000000da4'
const BEARER = { 'X-Session-Mode': 'bearer' }

/** POST /v1/home/switch as a bearer session, asking for the new session in the body. */
const switchTo = (h: Harness, token: string, body: object) =>
  h.request('/v1/home/switch', json(body, bearer(token, BEARER)))

/** Switches and returns the new session token and the answer's body; fails unless 201. */
async function switched(h: Harness, token: string, body: object): Promise<{ token: string; body: SignedIn }> {
  const res = await switchTo(h, token, body)
  expect(res.status, await res.clone().text()).toBe(201)
  const answer = (await res.json()) as SignedIn
  expect(answer.session.token).toMatch(TOKEN_PATTERN)
  return { token: answer.session.token, body: answer }
}

/** The X-Plex-Token of the last request to plex.tv at `path`. */
const tokenSentTo = (h: Harness, path: string) =>
  h.fake.requests.filter((r) => new URL(r.url).pathname === path).at(-1)?.headers['x-plex-token']

/** Every Plex token the worker sent upstream or plex.tv issued at sign-in. */
const upstreamTokens = (h: Harness) => [
  ...new Set([
    ...h.plexTokens,
    ...h.fake.requests.map((r) => r.headers['x-plex-token']).filter((t): t is string => !!t),
  ]),
]

/** Who a Plex token speaks for, asked of the fake plex.tv directly. */
async function plexUserOf(h: Harness, token: string): Promise<Record<string, unknown>> {
  const res = await h.fake.fetch('https://plex.tv/api/v2/user', {
    headers: {
      'X-Plex-Token': token,
      'X-Plex-Client-Identifier': 'test-inspector',
      Accept: 'application/json',
    },
  })
  return (await res.json()) as Record<string, unknown>
}

const switchCalls = (h: Harness) => h.fake.requests.filter((r) => r.url.includes('/switch'))

describe('POST /v1/home/switch', () => {
  it('a protected user needs its PIN: 403 home_pin_required without it or with a wrong one, nothing stored', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const before = await dumpKv()
    for (const body of [{ uuid: KIDS_UUID }, { uuid: KIDS_UUID, pin: '9999' }]) {
      const res = await switchTo(h, token, body)
      const problem = await expectProblem(res, 403, 'home_pin_required')
      expect(JSON.stringify(problem)).not.toContain('9999')
      expect(res.headers.get('Set-Cookie')).toBeNull()
    }
    // The PIN went to plex.tv in the query, as Plex's API wants it; the switch used alice's token.
    expect(switchCalls(h).map((r) => new URL(r.url).search)).toEqual(['', '?pin=9999'])
    expect(switchCalls(h).at(-1)!.headers['x-plex-token']).toBe(plexToken)
    expect(await dumpKv()).toEqual(before)
    const still = await h.request('/v1/user', { headers: bearer(token) })
    expect(((await still.json()) as { username: string }).username).toBe('alice')
  })

  it('with the PIN: a new session for Kids, the old one gone, same Plex device', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const device = h.fake.requests.at(-1)!.headers['x-plex-client-identifier']
    const kids = await switched(h, token, { uuid: KIDS_UUID, pin: '1234' })
    expect(kids.body.user).toMatchObject({ uuid: KIDS_UUID, title: 'Kids', username: null, email: null })
    expect(kids.body.user).not.toHaveProperty('authToken')
    expect(kids.token).not.toBe(token)
    expect(switchCalls(h).at(-1)!.headers['x-plex-client-identifier']).toBe(device)

    // The old session is gone, the new one answers for Kids with Kids' own token, as the same device.
    await expectProblem(await h.request('/v1/user', { headers: bearer(token) }), 401, 'unauthenticated')
    const res = await h.request('/v1/user', { headers: bearer(kids.token) })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ uuid: KIDS_UUID, title: 'Kids', username: null })
    const call = h.fake.requests.at(-1)!
    expect(call.url).toBe('https://plex.tv/api/v2/user')
    expect(call.headers['x-plex-client-identifier']).toBe(device)
    const kidsToken = call.headers['x-plex-token']!
    expect(kidsToken).not.toBe(plexToken)
    expect(await plexUserOf(h, kidsToken)).toMatchObject({ uuid: KIDS_UUID })

    // Exactly one session in KV: the new one, with Kids' token and alice's sealed beside it.
    const sessions = (await dumpKv()).filter((entry) => entry.name.startsWith('session:'))
    expect(sessions).toHaveLength(1)
    const record = await openKv(sessions[0]!.name, sessions[0]!.value)
    expect(record).toMatchObject({
      plexToken: kidsToken,
      source: 'password',
      clientIdentifier: device,
      home: { adminToken: plexToken, adminUuid: ALICE_UUID, userUuid: KIDS_UUID },
    })
  })

  it("a managed user's calls carry the managed user's token: user, servers, Home users", async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const dana = await switched(h, token, { uuid: DANA_UUID })
    const danaToken = () => tokenSentTo(h, '/api/v2/user')
    expect((await h.request('/v1/user', { headers: bearer(dana.token) })).status).toBe(200)
    const managed = danaToken()!
    expect(await plexUserOf(h, managed)).toMatchObject({ uuid: DANA_UUID })

    // plex.tv's resources for Dana, asked with Dana's token: the admin's servers, not owned (a Home view).
    const servers = await h.request('/v1/servers', { headers: bearer(dana.token) })
    expect(servers.status).toBe(200)
    const listed = ((await servers.json()) as { servers: { name: string; owned: boolean }[] }).servers
    expect(listed.map((s) => [s.name, s.owned])).toEqual([
      ["Alice's Plex", false],
      ['Cabin', false],
    ])
    expect(tokenSentTo(h, '/api/v2/resources')).toBe(managed)
    // A transient token for the admin's server: the server gets Dana's own server token, never a plex.tv one.
    const transient = await h.request('/v1/transient-token', {
      method: 'POST',
      headers: { ...bearer(dana.token), 'Content-Type': 'application/json' },
      body: JSON.stringify({ server: MAIN_SERVER_ID }),
    })
    expect(transient.status).toBe(200)
    const sentToServer = tokenSentTo(h, '/security/token')
    expect(sentToServer).toEqual(expect.any(String))
    expect([managed, plexToken]).not.toContain(sentToServer)

    const users = await h.request('/v1/home/users', { headers: bearer(dana.token) })
    expect(users.status).toBe(200)
    expect(tokenSentTo(h, '/api/v2/home/users')).toBe(managed)
    const everything = h.fake.requests.slice(-5).map((r) => r.headers['x-plex-token'])
    expect(everything).not.toContain(plexToken)
  })

  it('an unprotected user needs no PIN (and none goes to plex.tv)', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const dana = await switched(h, token, { uuid: DANA_UUID })
    expect(dana.body.user).toMatchObject({ uuid: DANA_UUID, title: 'Dana' })
    expect(new URL(switchCalls(h).at(-1)!.url).search).toBe('')
  })

  it("switching back to the admin needs no PIN: the admin's token travels sealed with the session", async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const kids = await switched(h, token, { uuid: KIDS_UUID, pin: '1234' })
    const calls = switchCalls(h).length
    const back = await switched(h, kids.token, { uuid: ALICE_UUID })
    expect(back.body.user).toMatchObject({ uuid: ALICE_UUID, username: 'alice' })
    expect(switchCalls(h)).toHaveLength(calls) // no switch at plex.tv: the session had alice's token
    await expectProblem(await h.request('/v1/user', { headers: bearer(kids.token) }), 401, 'unauthenticated')
    expect((await h.request('/v1/user', { headers: bearer(back.token) })).status).toBe(200)
    expect(tokenSentTo(h, '/api/v2/user')).toBe(plexToken)
    const sessions = (await dumpKv()).filter((entry) => entry.name.startsWith('session:'))
    expect(sessions).toHaveLength(1)
    const record = await openKv(sessions[0]!.name, sessions[0]!.value)
    expect(record).toMatchObject({ plexToken })
    expect(record).not.toHaveProperty('home')
  })

  it("from one managed user to another goes through the admin's token, with the PIN", async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const dana = await switched(h, token, { uuid: DANA_UUID })
    await expectProblem(await switchTo(h, dana.token, { uuid: KIDS_UUID }), 403, 'home_pin_required')
    const kids = await switched(h, dana.token, { uuid: KIDS_UUID, pin: '1234' })
    expect(kids.body.user).toMatchObject({ uuid: KIDS_UUID })
    expect(
      switchCalls(h)
        .slice(-2)
        .map((r) => r.headers['x-plex-token']),
    ).toEqual([plexToken, plexToken])
    const sessions = (await dumpKv()).filter((entry) => entry.name.startsWith('session:'))
    expect(sessions).toHaveLength(1)
    expect(await openKv(sessions[0]!.name, sessions[0]!.value)).toMatchObject({
      home: { adminToken: plexToken, adminUuid: ALICE_UUID, userUuid: KIDS_UUID },
    })
    // And back to the admin from there, still without a PIN.
    const back = await switched(h, kids.token, { uuid: ALICE_UUID })
    expect(back.body.user).toMatchObject({ username: 'alice' })
  })

  it('answers with the cookie by default (no token in the body) and needs an allowed Origin for a cookie', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const cookie = { Cookie: `__Host-plex_session=${token}` }
    await expectProblem(
      await h.request('/v1/home/switch', json({ uuid: DANA_UUID }, cookie)),
      403,
      'origin_not_allowed',
    )
    const res = await h.request(
      '/v1/home/switch',
      json({ uuid: DANA_UUID }, { ...cookie, Origin: ALLOWED_ORIGIN }),
    )
    expect(res.status, await res.clone().text()).toBe(201)
    const body = (await res.json()) as SignedIn
    expect(body.session).not.toHaveProperty('token')
    const setCookie = res.headers.get('Set-Cookie')!
    const fresh = /^__Host-plex_session=([A-Za-z0-9_-]{43});/.exec(setCookie)?.[1]
    expect(fresh).toBeDefined()
    expect(setCookie).toMatch(/HttpOnly; Secure; SameSite=Lax/)
    const user = await h.request('/v1/user', { headers: { Cookie: `__Host-plex_session=${fresh}` } })
    expect(await user.json()).toMatchObject({ uuid: DANA_UUID })
    await expectProblem(await h.request('/v1/user', { headers: cookie }), 401, 'unauthenticated')
  })

  it('validates uuid and pin before anything reaches plex.tv, never echoing them', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const before = h.fake.requests.length
    for (const [body, path] of [
      [{}, 'uuid'],
      [{ uuid: '../../users/signout' }, 'uuid'],
      [{ uuid: 'x'.repeat(65) }, 'uuid'],
      [{ uuid: KIDS_UUID, pin: '12345' }, 'pin'],
      [{ uuid: KIDS_UUID, pin: 'abcd' }, 'pin'],
      [{ uuid: KIDS_UUID, pin: 1234 }, 'pin'],
    ] as const) {
      const problem = await expectProblem(await switchTo(h, token, body), 400, 'invalid_request')
      expect(problem.issues?.map((issue) => issue.path)).toEqual([path])
      expect(JSON.stringify(problem)).not.toMatch(/signout|xxxx|12345|abcd/)
    }
    expect(h.fake.requests).toHaveLength(before)
  })

  it('a uuid outside the Home is 404 not_found; a session without a Home too', async () => {
    const h = harness()
    const { token } = await h.signIn()
    await expectProblem(await switchTo(h, token, { uuid: 'deadbeef00000000' }), 404, 'not_found')
    const carol = await h.signIn('carol')
    await expectProblem(await switchTo(h, carol.token, { uuid: DANA_UUID }), 404, 'not_found')
    expect((await dumpKv()).filter((entry) => entry.name.startsWith('session:'))).toHaveLength(2)
  })

  it('a dead token ends the session: 401 plex_token_rejected', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const dana = await switched(h, token, { uuid: DANA_UUID })
    h.fake.revokeToken(plexToken) // the admin's token, which the switch back would use
    await expectProblem(await switchTo(h, dana.token, { uuid: ALICE_UUID }), 401, 'plex_token_rejected')
    expect(await dumpKv()).toEqual([])
  })

  it('KV stays clean through a whole flow: no Plex token, PIN or session token in plaintext', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const kids = await switched(h, token, { uuid: KIDS_UUID, pin: '1234' })
    await h.request('/v1/user', { headers: bearer(kids.token) })
    await h.request('/v1/servers', { headers: bearer(kids.token) })
    const dana = await switched(h, kids.token, { uuid: DANA_UUID })
    await h.request('/v1/user', { headers: bearer(dana.token) })
    const back = await switched(h, dana.token, { uuid: ALICE_UUID })
    await h.request('/v1/servers', { headers: bearer(back.token) })
    const tokens = upstreamTokens(h)
    expect(tokens.length).toBeGreaterThanOrEqual(3) // alice's, Kids', Dana's
    const entries = await expectKvClean([...tokens, token, kids.token, dana.token, back.token, '1234'])
    expect(entries.filter((entry) => entry.name.startsWith('session:'))).toHaveLength(1)
  })
})

describe('POST /v1/home/switch from a Plex JWT session (PIN sign-in)', () => {
  const DAY = 24 * 3600_000
  let start: number
  beforeEach(() => {
    start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
  })
  afterEach(() => {
    vi.useRealTimers()
  })
  const renewals = (h: Harness) => h.fake.requests.filter((r) => r.url.endsWith('/api/v2/auth/token'))

  it("carries the admin's JWT and device key, and renews the JWT on the switch back once due", async () => {
    const h = harness(JWT_SESSIONS)
    const alice = await pinSignIn(h)
    const signedIn = (await storedSession(alice.token))!
    const jwt = signedIn.jwt as { expiresAt: number; deviceKey: unknown }
    expect(jwt).toBeDefined()
    const dana = await switched(h, alice.token, { uuid: DANA_UUID })
    expect(switchCalls(h).at(-1)!.headers['x-plex-token']).toBe(alice.plexToken)
    const managed = (await storedSession(dana.token))!
    expect(managed).not.toHaveProperty('jwt') // Dana's own token is a legacy one
    expect(managed.home).toEqual({
      adminToken: alice.plexToken,
      adminTokenObtained: true,
      adminUuid: ALICE_UUID,
      userUuid: DANA_UUID,
      adminJwt: jwt,
    })

    // Eight days on, alice's JWT has expired while Dana held the session: the switch back renews it
    // with alice's device key, and the session it opens renews it from then on.
    vi.setSystemTime(start + 8 * DAY)
    const back = await switched(h, dana.token, { uuid: ALICE_UUID })
    expect(back.body.user).toMatchObject({ uuid: ALICE_UUID, username: 'alice' })
    expect(renewals(h)).toHaveLength(1)
    expect(renewals(h)[0]!.headers['x-plex-client-identifier']).toBe(alice.clientIdentifier)
    const restored = (await storedSession(back.token))!
    expect(restored).not.toHaveProperty('home')
    expect(restored.plexToken).not.toBe(alice.plexToken)
    expect(restored.jwt).toEqual({ deviceKey: jwt.deviceKey, expiresAt: expect.any(Number) })
    expect((restored.jwt as { expiresAt: number }).expiresAt).toBeGreaterThan(Date.now() + 6 * DAY)
    expect(tokenSentTo(h, '/api/v2/user')).toBe(restored.plexToken)
    // The device key's private half and every token stay sealed.
    const secrets = [...(await sealedSecrets()), alice.plexToken, dana.token, back.token]
    const d = (jwt.deviceKey as { privateJwk: { d: string } }).privateJwk.d
    await expectKvClean([...secrets, d])
  })
})
