// The access policy (src/access/access.ts) on every way in, GET /v1/access, and access lost mid-session.

import { defaultSeed } from '@plex-auth/fake-plex'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  bearer,
  clearKv,
  dumpKv,
  expectProblem,
  type Harness,
  harness,
  json,
  MAIN_SERVER_ID,
  randomIp,
} from '../helpers.ts'

beforeEach(clearKv)

const CABIN_SERVER_ID = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432'
const CAROL_TOKEN = 'CaR0lT0kenFaKe6Hn3Jd'
const DANA_UUID = 'da4a000000000da4'
/** Only people who can use alice's main server. */
const POLICY = { PLEX_ACCESS_SERVERS: MAIN_SERVER_ID, PLEX_ACCESS_OWNER_ID: '10000001' }

function policyHarness(env: Record<string, string> = {}, now?: () => number): Harness {
  return harness({ env: { ...POLICY, ...env }, ...(now ? { now } : {}) })
}

const signInBody = (login: string) => ({
  ...json({
    login,
    password: `${login}-password`,
    ...(login === 'bob' ? { verificationCode: '123456' } : {}),
  }),
  headers: { 'Content-Type': 'application/json', 'X-Session-Mode': 'bearer', 'CF-Connecting-IP': randomIp() },
})

const exchange = (plexToken: string) => ({
  ...json({ plexToken }),
  headers: { 'Content-Type': 'application/json', 'X-Session-Mode': 'bearer', 'CF-Connecting-IP': randomIp() },
})

async function switchTo(h: Harness, session: string, uuid: string): Promise<Response> {
  return h.request('/v1/home/switch', {
    method: 'POST',
    headers: { ...bearer(session), 'Content-Type': 'application/json', 'X-Session-Mode': 'bearer' },
    body: JSON.stringify({ uuid }),
  })
}

const tokenStatus = async (h: Harness, token: string): Promise<number> =>
  (
    await h.fake.fetch('https://plex.tv/api/v2/ping', {
      headers: { accept: 'application/json', 'x-plex-client-identifier': 'probe', 'x-plex-token': token },
    })
  ).status

describe('the access policy (PLEX_ACCESS_SERVERS)', () => {
  it('owner, Home member (after a switch) and friend: sign-in answers and GET /v1/access carry the role', async () => {
    const h = policyHarness()
    const owner = await h.request('/v1/sign-in', signInBody('alice'))
    expect(owner.status).toBe(201)
    const signedIn = (await owner.json()) as { session: { token: string }; access: unknown }
    expect(signedIn.access).toEqual({
      role: 'owner',
      servers: [{ clientIdentifier: MAIN_SERVER_ID, name: "Alice's Plex", role: 'owner' }],
    })
    const asked = await h.request('/v1/access', { headers: bearer(signedIn.session.token) })
    expect(await asked.json()).toEqual(signedIn.access)

    const dana = await switchTo(h, signedIn.session.token, DANA_UUID)
    expect(dana.status).toBe(201)
    expect(((await dana.json()) as { access: { role: string } }).access.role).toBe('home')

    const bob = await h.request('/v1/sign-in', signInBody('bob'))
    expect(bob.status).toBe(201)
    expect(((await bob.json()) as { access: { role: string } }).access.role).toBe('friend')
  })

  it('a stranger is refused on every way in: 403 not_a_member, no session, its token revoked only if the worker got it', async () => {
    const h = policyHarness()
    // Password.
    await expectProblem(await h.request('/v1/sign-in', signInBody('carol')), 403, 'not_a_member')
    expect(await tokenStatus(h, h.plexTokens.at(-1)!)).toBe(401)
    // PIN.
    const created = await h.request('/v1/pins', json({}))
    const pin = (await created.json()) as { id: string; code: string; pollToken: string }
    h.fake.approvePin(pin.code, 'carol')
    const polled = await h.request(`/v1/pins/${pin.id}`, { headers: { 'X-Poll-Token': pin.pollToken } })
    await expectProblem(polled, 403, 'not_a_member')
    expect(await tokenStatus(h, h.plexTokens.at(-1)!)).toBe(401)
    // Exchange: carol's own token is hers, never revoked.
    await expectProblem(await h.request('/v1/sessions', exchange(CAROL_TOKEN)), 403, 'not_a_member')
    expect(await tokenStatus(h, CAROL_TOKEN)).toBe(200)
    // Nothing was stored: no session, no index entry.
    expect((await dumpKv()).map((e) => e.name.split(':')[0])).toEqual([])
  })

  it('a Home switch to a role the policy leaves out is refused; the session it came from stays', async () => {
    const h = policyHarness({ PLEX_ACCESS_ROLES: 'owner' })
    const { token } = await h.signIn()
    const switched = await switchTo(h, token, DANA_UUID)
    await expectProblem(switched, 403, 'not_a_member')
    // The switched token shares the admin session's device: signing it out could end that one too.
    expect(h.fake.requests.filter((r) => r.url.endsWith('/api/v2/users/signout'))).toEqual([])
    expect((await h.request('/v1/user', { headers: bearer(token) })).status).toBe(200)
  })

  it('someone running a server under the same (public) clientIdentifier is no owner of mine', async () => {
    // carol claims a server of her own with the main server's clientIdentifier.
    const seed = structuredClone(defaultSeed)
    seed.servers.push({
      ...structuredClone(seed.servers[1]!),
      id: MAIN_SERVER_ID,
      name: 'Look-alike',
      ownerLogin: 'carol',
      url: 'https://10-9-9-9.00000000000000000000000000000000.plex.direct:32400',
      connections: undefined,
    })
    const h = harness({ env: POLICY, fake: { seed } })
    await expectProblem(await h.request('/v1/sign-in', signInBody('carol')), 403, 'not_a_member')
    // Without the owner's id it would have been an owner: the policy refuses to run that way.
    const loose = await h.request('/v1/sign-in', signInBody('carol'), { PLEX_ACCESS_OWNER_ID: '' })
    await expectProblem(loose, 500, 'misconfigured')
  })

  it('roles or an owner without servers, or servers without an owner, are refused settings', async () => {
    const h = harness()
    for (const env of [
      { PLEX_ACCESS_ROLES: 'owner' },
      { PLEX_ACCESS_OWNER_ID: '10000001' },
      { PLEX_ACCESS_SERVERS: MAIN_SERVER_ID },
    ]) {
      const problem = await expectProblem(await h.request('/v1/user', {}, env), 500, 'misconfigured')
      expect(problem.detail).toMatch(/PLEX_ACCESS_(SERVERS|OWNER_ID)/)
    }
  })

  it('plex.tv down at a recheck: the last check stands one more interval, then requests fail closed', async () => {
    let clock = Date.now()
    const h = policyHarness({ PLEX_ACCESS_RECHECK_SECONDS: '60' }, () => clock)
    const { token } = await h.signIn()
    h.fake.inject({ host: 'plex.tv', path: '/api/v2/resources', kind: 'status', status: 503 })
    clock += 61_000
    expect((await h.request('/v1/access', { headers: bearer(token) })).status).toBe(200)
    clock += 60_000
    expect((await h.request('/v1/access', { headers: bearer(token) })).status).toBe(502)
    h.fake.clearFaults()
    expect((await h.request('/v1/access', { headers: bearer(token) })).status).toBe(200)
  })

  it('PLEX_ACCESS_ROLES=owner,home leaves friends out', async () => {
    const h = policyHarness({ PLEX_ACCESS_ROLES: 'owner,home' })
    await expectProblem(await h.request('/v1/sign-in', signInBody('bob')), 403, 'not_a_member')
    expect((await h.request('/v1/sign-in', signInBody('alice'))).status).toBe(201)
  })

  it('a share withdrawn mid-session: the next check after PLEX_ACCESS_RECHECK_SECONDS ends the session', async () => {
    let clock = Date.now()
    const h = policyHarness({ PLEX_ACCESS_RECHECK_SECONDS: '60' }, () => clock)
    const res = await h.request('/v1/sign-in', signInBody('bob'))
    const { session } = (await res.json()) as { session: { token: string } }
    const resources = () => h.fake.requests.filter((r) => r.url.includes('/api/v2/resources')).length
    const before = resources()
    expect((await h.request('/v1/access', { headers: bearer(session.token) })).status).toBe(200)
    expect(resources()).toBe(before) // within the interval: no plex.tv call
    h.fake.withdrawShare(MAIN_SERVER_ID, 'bob')
    clock += 61_000
    await expectProblem(await h.request('/v1/user', { headers: bearer(session.token) }), 403, 'not_a_member')
    expect(resources()).toBe(before + 1)
    await expectProblem(
      await h.request('/v1/user', { headers: bearer(session.token) }),
      401,
      'unauthenticated',
    )
  })

  it('a recheck that passes is stored: the next use within the interval asks plex.tv nothing', async () => {
    let clock = Date.now()
    const h = policyHarness({ PLEX_ACCESS_RECHECK_SECONDS: '60' }, () => clock)
    const { token } = await h.signIn()
    clock += 61_000
    const resources = () => h.fake.requests.filter((r) => r.url.includes('/api/v2/resources')).length
    const before = resources()
    expect((await h.request('/v1/access', { headers: bearer(token) })).status).toBe(200)
    expect((await h.request('/v1/access', { headers: bearer(token) })).status).toBe(200)
    expect(resources()).toBe(before + 1)
  })

  it('invalid settings are named, never shown', async () => {
    const h = harness()
    for (const env of [
      { PLEX_ACCESS_ROLES: 'owner,admin' },
      { PLEX_ACCESS_SERVERS: 'a b' },
      { PLEX_ACCESS_RECHECK_SECONDS: '0' },
    ]) {
      const problem = await expectProblem(await h.request('/v1/user', {}, env), 500, 'misconfigured')
      expect(problem.detail).toContain(Object.keys(env)[0]!)
      expect(problem.detail).not.toContain(Object.values(env)[0]!)
    }
  })
})

describe('GET /v1/access without a policy', () => {
  it('answers every server the user reaches, from plex.tv, and sign-in answers carry no access', async () => {
    const h = harness()
    const { token, body } = await h.signIn()
    expect(body).not.toHaveProperty('access')
    const res = await h.request('/v1/access', { headers: bearer(token) })
    expect(await res.json()).toEqual({
      role: 'owner',
      servers: [
        { clientIdentifier: MAIN_SERVER_ID, name: "Alice's Plex", role: 'owner' },
        { clientIdentifier: CABIN_SERVER_ID, name: 'Cabin', role: 'owner' },
      ],
    })
    const carol = await h.request('/v1/sessions', exchange(CAROL_TOKEN))
    const carolToken = ((await carol.json()) as { session: { token: string } }).session.token
    expect(await (await h.request('/v1/access', { headers: bearer(carolToken) })).json()).toEqual({
      role: 'none',
      servers: [],
    })
  })

  it('needs a session', async () => {
    const h = harness()
    await expectProblem(await h.request('/v1/access'), 401, 'unauthenticated')
  })
})
