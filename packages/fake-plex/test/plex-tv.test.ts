import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SIGN_IN_FAILURES_BEFORE_LOCKOUT,
  LOCKOUT_MS,
  SIGN_IN_FAILURE_WINDOW_MS,
} from '../src/index.ts'
import {
  ALICE_TOKEN,
  BOB_SHARE_TOKEN,
  BOB_TOKEN,
  CAROL_TOKEN,
  CLIENT_ID,
  plexHeaders,
  setup,
  signInForm,
} from './helpers.ts'

describe('GET /api/v2/user', () => {
  it('answers the README example: the UserPlexAccount as JSON, not wrapped', async () => {
    const { fake } = setup()
    const res = await fake.fetch('https://plex.tv/api/v2/user', {
      headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const user = await res.json()
    expect(user).toMatchObject({
      id: 10000001,
      uuid: 'a11ce0000000a11c',
      username: 'alice',
      title: 'Alice',
      email: 'alice@example.com',
      friendlyName: 'Alice',
      authToken: ALICE_TOKEN,
      hasPassword: true,
      joinedAt: 1514764800,
      twoFactorEnabled: false,
      // Not in any spec, on purpose:
      mailingListStatus: 'inactive',
      certificateVersion: 2,
      queueEmail: expect.any(String),
      queueUid: expect.any(String),
      profile: expect.objectContaining({ mediaPostsVisibility: 1, autoSelectSubtitle: 0 }),
      subscription: expect.objectContaining({ active: true, status: 'Active', features: expect.any(Array) }),
    })
    expect(user.services[0]).toMatchObject({
      identifier: 'metadata-dev',
      token: expect.stringContaining('secret'),
    })
  })

  it('answers XML without Accept: application/json', async () => {
    const { fake } = setup()
    const res = await fake.fetch('https://plex.tv/api/v2/user', {
      headers: { 'x-plex-client-identifier': CLIENT_ID, 'x-plex-token': BOB_TOKEN },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/)
    const xml = await res.text()
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<user id="10000002" /)
    expect(xml).toContain(`authToken="${BOB_TOKEN}"`)
    expect(xml).toContain('twoFactorEnabled="1"')
    expect(xml).toContain('<subscription active="0"')
  })

  it('answers 400 code 1000 without X-Plex-Client-Identifier, in JSON and XML', async () => {
    const { fake } = setup()
    const json = await fake.fetch('https://plex.tv/api/v2/user', {
      headers: { accept: 'application/json', 'x-plex-token': ALICE_TOKEN },
    })
    expect(json.status).toBe(400)
    expect(await json.json()).toEqual({
      errors: [{ code: 1000, message: 'X-Plex-Client-Identifier is missing', status: 400 }],
    })
    const xml = await fake.fetch('https://plex.tv/api/v2/user', { headers: { 'x-plex-token': ALICE_TOKEN } })
    expect(xml.status).toBe(400)
    expect(await xml.text()).toContain(
      '<error code="1000" message="X-Plex-Client-Identifier is missing" status="400"/>',
    )
  })

  it('answers 401 code 1001 for no token and an unknown token', async () => {
    const { fake } = setup()
    for (const extra of [{}, { 'x-plex-token': 'NotAT0kenAnyoneIssued' }] as Record<string, string>[]) {
      const res = await fake.fetch('https://plex.tv/api/v2/user', { headers: plexHeaders(extra) })
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({
        errors: [{ code: 1001, message: 'User could not be authenticated', status: 401 }],
      })
    }
  })

  it('answers 422 XML "Invalid token" for a revoked token, even when JSON was asked for', async () => {
    const { fake } = setup()
    fake.revokeToken(CAROL_TOKEN)
    const res = await fake.fetch('https://plex.tv/api/v2/user', {
      headers: plexHeaders({ 'x-plex-token': CAROL_TOKEN }),
    })
    expect(res.status).toBe(422)
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/)
    expect(await res.text()).toContain('<errors>\n  <error>Invalid token</error>\n</errors>')
  })

  it('accepts the token as a query parameter too (like Plex) and records it, so tests can catch it', async () => {
    const { fake } = setup()
    const res = await fake.fetch(`https://plex.tv/api/v2/user?X-Plex-Token=${ALICE_TOKEN}`, {
      headers: plexHeaders(),
    })
    expect(res.status).toBe(200)
    expect(fake.requests.some((r) => new URL(r.url).searchParams.has('X-Plex-Token'))).toBe(true)
  })

  it('routes https://clients.plex.tv to plex.tv', async () => {
    const { fake } = setup()
    const res = await fake.fetch('https://clients.plex.tv/api/v2/user', {
      headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
    })
    expect(res.status).toBe(200)
  })
})

describe('POST /api/v2/users/signin', () => {
  it('answers 201 with the account, pastSubscriptions, trials and a new token each time', async () => {
    const { fake } = setup()
    const first = await fake.fetch(
      'https://plex.tv/api/v2/users/signin',
      signInForm({ login: 'alice', password: 'alice-password', rememberMe: 'true' }),
    )
    expect(first.status).toBe(201)
    const body = await first.json()
    expect(body).toMatchObject({ username: 'alice', pastSubscriptions: [], trials: [] })
    expect(body.authToken).toMatch(/^[A-Za-z0-9_-]{20}$/)
    expect(body.authToken).not.toBe(ALICE_TOKEN)

    const second = await fake.fetch(
      'https://plex.tv/api/v2/users/signin',
      signInForm({ login: 'alice@example.com', password: 'alice-password' }),
    )
    const again = await second.json()
    expect(again.authToken).not.toBe(body.authToken)

    const user = (token: string) =>
      fake.fetch('https://plex.tv/api/v2/user', { headers: plexHeaders({ 'x-plex-token': token }) })
    expect((await user(again.authToken)).status).toBe(200)
    // Same account, same client identifier: the second sign-in retired the first token.
    expect((await user(body.authToken)).status).toBe(422)
  })

  it('asks 2FA accounts for the code (1029), rejects a wrong one (1001), accepts the right one', async () => {
    const { fake } = setup()
    const url = 'https://plex.tv/api/v2/users/signin'
    const missing = await fake.fetch(url, signInForm({ login: 'bob', password: 'bob-password' }))
    expect(missing.status).toBe(401)
    expect((await missing.json()).errors[0]).toEqual({
      code: 1029,
      message: 'Please enter the verification code',
      status: 401,
    })
    const wrong = await fake.fetch(
      url,
      signInForm({ login: 'bob', password: 'bob-password', verificationCode: '000000' }),
    )
    expect(wrong.status).toBe(401)
    expect((await wrong.json()).errors[0].code).toBe(1001)
    const right = await fake.fetch(
      url,
      signInForm({ login: 'bob', password: 'bob-password', verificationCode: '123456' }),
    )
    expect(right.status).toBe(201)
    expect((await right.json()).twoFactorEnabled).toBe(true)
  })

  it('reads form bodies only: the same credentials as JSON are not authenticated', async () => {
    const { fake } = setup()
    const res = await fake.fetch('https://plex.tv/api/v2/users/signin', {
      method: 'POST',
      headers: plexHeaders({ 'content-type': 'application/json' }),
      body: JSON.stringify({ login: 'alice', password: 'alice-password' }),
    })
    expect(res.status).toBe(401)
    expect((await res.json()).errors[0].code).toBe(1001)
  })

  it('locks an IP out with 1031 after N failures, even with the right password, until the lockout ends', async () => {
    const { fake, clock } = setup({ signInFailuresBeforeLockout: 3 })
    const url = 'https://plex.tv/api/v2/users/signin'
    const from = (ip: string, fields: Record<string, string>) => {
      const init = signInForm(fields)
      return fake.fetch(url, { ...init, headers: { ...(init.headers as object), 'cf-connecting-ip': ip } })
    }
    for (let i = 0; i < 3; i++) {
      const res = await from('198.51.100.1', { login: 'alice', password: 'wrong' })
      expect((await res.json()).errors[0].code).toBe(1001)
    }
    const locked = await from('198.51.100.1', { login: 'alice', password: 'alice-password' })
    expect(locked.status).toBe(401)
    expect((await locked.json()).errors[0].code).toBe(1031)
    const otherIp = await from('198.51.100.2', { login: 'alice', password: 'alice-password' })
    expect(otherIp.status).toBe(201)
    clock.now += LOCKOUT_MS
    expect((await from('198.51.100.1', { login: 'alice', password: 'alice-password' })).status).toBe(201)
  })

  it('answers errors in XML without Accept: application/json', async () => {
    const { fake } = setup()
    const res = await fake.fetch('https://plex.tv/api/v2/users/signin', {
      method: 'POST',
      headers: { 'x-plex-client-identifier': CLIENT_ID, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'login=alice&password=nope',
    })
    expect(res.status).toBe(401)
    expect(await res.text()).toContain(
      '<error code="1001" message="User could not be authenticated" status="401"/>',
    )
  })
})

describe('sign-in lockout', () => {
  const url = 'https://plex.tv/api/v2/users/signin'
  const code = async (res: Response) =>
    ((await res.json()) as { errors?: { code: number }[] }).errors?.[0]?.code

  it('by default locks after 5 failures within 60 s, counting every request without proxy headers as one IP', async () => {
    expect(DEFAULT_SIGN_IN_FAILURES_BEFORE_LOCKOUT).toBe(5)
    expect(SIGN_IN_FAILURE_WINDOW_MS).toBe(60_000)
    const { fake, clock } = setup()
    // Different client identifiers, one IP ('local'): the lockout is per IP, not per device.
    const attempt = (i: number, password: string) =>
      fake.fetch(url, {
        ...signInForm({ login: 'alice', password }),
        headers: plexHeaders({
          'content-type': 'application/x-www-form-urlencoded',
          'x-plex-client-identifier': `device-${i}`,
        }),
      })
    for (let i = 0; i < 4; i++) {
      expect(await code(await attempt(i, 'wrong'))).toBe(1001)
      clock.now += 1000
    }
    expect((await attempt(4, 'alice-password')).status).toBe(201)
    expect(await code(await attempt(5, 'wrong'))).toBe(1001)
    const locked = await attempt(6, 'alice-password')
    expect(locked.status).toBe(401)
    expect(await code(locked)).toBe(1031)
  })

  it('forgets failures older than the window; a success does not wipe the ones inside it', async () => {
    const { fake, clock } = setup({ signInFailuresBeforeLockout: 3 })
    const attempt = (fields: Record<string, string>) => fake.fetch(url, signInForm(fields))
    const wrong = { login: 'alice', password: 'wrong' }
    const right = { login: 'alice', password: 'alice-password' }
    expect(await code(await attempt(wrong))).toBe(1001)
    clock.now += SIGN_IN_FAILURE_WINDOW_MS - 1
    expect(await code(await attempt(wrong))).toBe(1001)
    clock.now += 1
    // The first failure just aged out: one counts, then two.
    expect(await code(await attempt(wrong))).toBe(1001)
    expect((await attempt(right)).status).toBe(201)
    expect(await code(await attempt(wrong))).toBe(1001)
    expect(await code(await attempt(right))).toBe(1031)
  })

  it('counts a wrong 2FA code but not the 1029 prompt, and locks for exactly LOCKOUT_MS', async () => {
    const { fake, clock } = setup({ signInFailuresBeforeLockout: 2 })
    const bob = (verificationCode?: string) =>
      fake.fetch(
        url,
        signInForm({
          login: 'bob',
          password: 'bob-password',
          ...(verificationCode ? { verificationCode } : {}),
        }),
      )
    for (let i = 0; i < 3; i++) expect(await code(await bob())).toBe(1029)
    expect(await code(await bob('000000'))).toBe(1001)
    expect(await code(await bob('111111'))).toBe(1001)
    clock.now += LOCKOUT_MS - 1
    // Attempts while locked are refused without counting and do not extend the lockout.
    expect(await code(await bob('123456'))).toBe(1031)
    clock.now += 1
    expect((await bob('123456')).status).toBe(201)
  })

  it('takes the IP from CF-Connecting-IP, else the first X-Forwarded-For entry', async () => {
    const { fake } = setup({ signInFailuresBeforeLockout: 1 })
    const from = (headers: Record<string, string>, password: string) => {
      const init = signInForm({ login: 'alice', password })
      return fake.fetch(url, { ...init, headers: { ...(init.headers as object), ...headers } })
    }
    expect(await code(await from({ 'x-forwarded-for': '198.51.100.7, 10.0.0.1' }, 'wrong'))).toBe(1001)
    expect(await code(await from({ 'cf-connecting-ip': '198.51.100.7' }, 'alice-password'))).toBe(1031)
    expect((await from({ 'x-forwarded-for': '10.0.0.1' }, 'alice-password')).status).toBe(201)
    expect((await from({}, 'alice-password')).status).toBe(201)
  })
})

describe('rate limit', () => {
  it('answers 429 code 1003 without Retry-After once a client identifier exceeds the window', async () => {
    const { fake, clock } = setup({ rateLimit: { limit: 2, windowMs: 1000 } })
    const call = () =>
      fake.fetch('https://plex.tv/api/v2/user', { headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }) })
    expect((await call()).status).toBe(200)
    expect((await call()).status).toBe(200)
    const limited = await call()
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBeNull()
    expect(await limited.json()).toEqual({
      errors: [{ code: 1003, message: 'API rate limit exceeded', status: 429 }],
    })
    clock.now += 1000
    expect((await call()).status).toBe(200)
  })
})

describe('PIN flow', () => {
  it('creates a strong PIN (201, 1800 s), pending until approved, then carries a working token', async () => {
    const { fake, clock } = setup()
    const created = await fake.fetch('https://plex.tv/api/v2/pins?strong=true', {
      method: 'POST',
      headers: plexHeaders(),
    })
    expect(created.status).toBe(201)
    const pin = await created.json()
    expect(pin).toMatchObject({
      id: expect.any(Number),
      code: expect.stringMatching(/^[a-z0-9]{25}$/),
      expiresIn: 1800,
      expiresAt: new Date(clock.now + 1800_000).toISOString().replace('.000Z', 'Z'),
      authToken: null,
      clientIdentifier: CLIENT_ID,
      product: 'Tests',
      trusted: false,
      qr: expect.stringContaining(pin.code),
      location: expect.objectContaining({ code: 'US' }),
      newRegistration: null,
    })

    const pending = await fake.fetch(`https://plex.tv/api/v2/pins/${pin.id}`, { headers: plexHeaders() })
    expect(pending.status).toBe(200)
    expect((await pending.json()).authToken).toBeNull()

    const token = fake.approvePin(pin.code, 'bob')
    const approved = await (
      await fake.fetch(`https://plex.tv/api/v2/pins/${pin.id}`, { headers: plexHeaders() })
    ).json()
    expect(approved.authToken).toBe(token)
    const user = await fake.fetch('https://plex.tv/api/v2/user', {
      headers: plexHeaders({ 'x-plex-token': token }),
    })
    expect((await user.json()).username).toBe('bob')
  })

  it('makes 4-character PINs living 900 s without strong=true', async () => {
    const { fake } = setup()
    const pin = await (
      await fake.fetch('https://plex.tv/api/v2/pins', { method: 'POST', headers: plexHeaders() })
    ).json()
    expect(pin.code).toMatch(/^[A-Z0-9]{4}$/)
    expect(pin.expiresIn).toBe(900)
  })

  it('answers 404 code 1020 for another client identifier, an unknown id, and once expired', async () => {
    const { fake, clock } = setup()
    const pin = await (
      await fake.fetch('https://plex.tv/api/v2/pins?strong=true', { method: 'POST', headers: plexHeaders() })
    ).json()
    const other = await fake.fetch(`https://plex.tv/api/v2/pins/${pin.id}`, {
      headers: plexHeaders({ 'x-plex-client-identifier': 'someone-else' }),
    })
    expect(other.status).toBe(404)
    expect((await other.json()).errors[0]).toEqual({
      code: 1020,
      message: 'Code not found or expired',
      status: 404,
    })
    expect((await fake.fetch('https://plex.tv/api/v2/pins/42', { headers: plexHeaders() })).status).toBe(404)
    clock.now += 1800_000
    const expired = await fake.fetch(`https://plex.tv/api/v2/pins/${pin.id}`, { headers: plexHeaders() })
    expect(expired.status).toBe(404)
    expect(() => fake.approvePin(pin.id, 'alice')).toThrow(/no live PIN/)
  })

  it('expirePin ends a PIN at once', async () => {
    const { fake } = setup()
    const pin = await (
      await fake.fetch('https://plex.tv/api/v2/pins?strong=true', { method: 'POST', headers: plexHeaders() })
    ).json()
    fake.expirePin(pin.id)
    expect(
      (await fake.fetch(`https://plex.tv/api/v2/pins/${pin.id}`, { headers: plexHeaders() })).status,
    ).toBe(404)
  })
})

describe('GET /api/v2/resources', () => {
  const url = 'https://clients.plex.tv/api/v2/resources?includeHttps=1&includeRelay=1'

  it("gives the owner its servers with the account's own token", async () => {
    const { fake, main, cabin } = setup()
    const res = await fake.fetch(url, { headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }) })
    expect(res.status).toBe(200)
    const devices = await res.json()
    const servers = devices.filter((d: { provides: string }) => d.provides.split(',').includes('server'))
    expect(servers.map((s: { clientIdentifier: string }) => s.clientIdentifier)).toEqual([main.id, cabin.id])
    expect(servers[0]).toMatchObject({ name: "Alice's Plex", owned: true, accessToken: ALICE_TOKEN })
    expect(servers[0].connections).toHaveLength(3)
    expect(servers[0].connections[0]).toEqual({
      protocol: 'https',
      address: '192.168.1.10',
      port: 32400,
      uri: main.url,
      local: true,
      relay: false,
      IPv6: false,
    })
    // Players are listed too: callers must filter on provides.
    expect(devices.some((d: { provides: string }) => !d.provides.includes('server'))).toBe(true)
  })

  it('gives a shared user a distinct server access token that the PMS accepts', async () => {
    const { fake, main } = setup()
    const devices = await (
      await fake.fetch(url, { headers: plexHeaders({ 'x-plex-token': BOB_TOKEN }) })
    ).json()
    const servers = devices.filter((d: { provides: string }) => d.provides === 'server')
    expect(servers).toHaveLength(1)
    expect(servers[0]).toMatchObject({
      clientIdentifier: main.id,
      owned: false,
      accessToken: BOB_SHARE_TOKEN,
    })
    const transient = await fake.fetch(`${main.url}/security/token?type=delegation&scope=all`, {
      headers: plexHeaders({ 'x-plex-token': BOB_SHARE_TOKEN }),
    })
    expect(transient.status).toBe(200)
  })

  it('gives carol no server, and leaves out relay and https connections unless asked', async () => {
    const { fake } = setup()
    const carol = await (
      await fake.fetch(url, { headers: plexHeaders({ 'x-plex-token': CAROL_TOKEN }) })
    ).json()
    expect(carol.filter((d: { provides: string }) => d.provides === 'server')).toEqual([])
    const bare = await (
      await fake.fetch('https://plex.tv/api/v2/resources?includeHttps=1', {
        headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
      })
    ).json()
    expect(bare[0].connections.some((c: { relay: boolean }) => c.relay)).toBe(false)
    const noHttps = await (
      await fake.fetch('https://plex.tv/api/v2/resources', {
        headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
      })
    ).json()
    expect(noHttps[0].connections).toEqual([])
  })

  it("lists Cabin's plain http connection (even without includeHttps), and it reaches the Cabin PMS", async () => {
    const { fake, cabin } = setup()
    const devices = await (
      await fake.fetch('https://plex.tv/api/v2/resources', {
        headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
      })
    ).json()
    const listed = devices.find((d: { clientIdentifier: string }) => d.clientIdentifier === cabin.id)
    expect(listed.httpsRequired).toBe(false)
    expect(listed.connections).toEqual([
      {
        protocol: 'http',
        address: '10.0.0.7',
        port: 32400,
        uri: 'http://10.0.0.7:32400',
        local: true,
        relay: false,
        IPv6: false,
      },
    ])
    const identity = await fake.fetch(`${listed.connections[0].uri}/identity`, {
      headers: { accept: 'application/json' },
    })
    expect((await identity.json()).MediaContainer.machineIdentifier).toBe(cabin.id)
    const transient = await fake.fetch(
      `${listed.connections[0].uri}/security/token?type=delegation&scope=all`,
      {
        headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
      },
    )
    expect(transient.status).toBe(200)
  })

  it('answers 401 without a valid token', async () => {
    const { fake } = setup()
    expect((await fake.fetch(url, { headers: plexHeaders() })).status).toBe(401)
  })
})

describe('sign-out and ping', () => {
  it('DELETE /api/v2/users/signout revokes the token (204); then /user answers 422', async () => {
    const { fake } = setup()
    const token = fake.issueToken('alice')
    const ping = await fake.fetch('https://plex.tv/api/v2/ping', {
      headers: plexHeaders({ 'x-plex-token': token }),
    })
    expect(ping.status).toBe(200)
    expect(await ping.json()).toEqual({ pong: true })
    const out = await fake.fetch('https://plex.tv/api/v2/users/signout', {
      method: 'DELETE',
      headers: plexHeaders({ 'x-plex-token': token }),
    })
    expect(out.status).toBe(204)
    expect(await out.text()).toBe('')
    const user = await fake.fetch('https://plex.tv/api/v2/user', {
      headers: plexHeaders({ 'x-plex-token': token }),
    })
    expect(user.status).toBe(422)
    const again = await fake.fetch('https://plex.tv/api/v2/users/signout', {
      method: 'DELETE',
      headers: plexHeaders({ 'x-plex-token': token }),
    })
    expect(again.status).toBe(401)
    expect(
      (await fake.fetch('https://plex.tv/api/v2/ping', { headers: plexHeaders({ 'x-plex-token': token }) }))
        .status,
    ).toBe(401)
    // Other tokens of the account live on.
    expect(
      (
        await fake.fetch('https://plex.tv/api/v2/user', {
          headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
        })
      ).status,
    ).toBe(200)
  })

  it('answers unknown routes with a plex.tv 404 error body', async () => {
    const { fake } = setup()
    const res = await fake.fetch('https://plex.tv/api/v2/nope', { headers: plexHeaders() })
    expect(res.status).toBe(404)
    expect((await res.json()).errors[0].status).toBe(404)
  })
})
