// The server operations after each way in, played against what real Plex does with tokens:
// - media servers answer any Plex JWT with an HTML 401 (anthonycaccese/240-MP#240; nickelsh1ts/streamarr#322);
// - plex.tv's resources, asked with a Plex JWT, list an owned server with the JWT itself as its accessToken
//   (240-MP#240), while a shared server gets an opaque token of its own.
// With the default PLEX_TOKEN_KIND (legacy) every way in reaches owned, Home and shared servers; a JWT session
// (opt-in) is told plainly that its owned servers are out of reach, and keeps working for everything else.
import { isPlexJwt } from '@plex-auth/core'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE_TOKEN,
  bearer,
  clearKv,
  expectProblem,
  type Harness,
  harness,
  json,
  MAIN_SERVER_ID,
  randomIp,
} from './helpers.ts'
import { JWT_SESSIONS, pinSignIn } from './session-helpers.ts'

beforeEach(clearKv)

const PLEX_HOSTS = new Set(['plex.tv', 'clients.plex.tv'])
const DANA_UUID = 'da4a000000000da4'
const SOURCE = `/v1/source-connection?source=${encodeURIComponent(`server://${MAIN_SERVER_ID}`)}`

/** Every request that reached a fake media server, with the token it carried. */
function serverCalls(h: Harness): { path: string; token: string | undefined }[] {
  return h.fake.requests
    .filter((r) => !PLEX_HOSTS.has(new URL(r.url).hostname))
    .map((r) => ({ path: new URL(r.url).pathname, token: r.headers['x-plex-token'] }))
}

function expectNoJwtReachedAServer(h: Harness): void {
  // Any dot: legacy and transient tokens have none, so this catches a JWT however it is dressed.
  const withJwt = serverCalls(h).filter((call) => call.token?.includes('.'))
  expect(withJwt).toEqual([])
}

async function transientToken(h: Harness, session: string, server?: string): Promise<Response> {
  return h.request('/v1/transient-token', {
    method: 'POST',
    headers: { ...bearer(session), 'Content-Type': 'application/json' },
    body: JSON.stringify(server === undefined ? {} : { server }),
  })
}

async function discover(
  h: Harness,
  session: string,
): Promise<{ clientIdentifier: string; owned: boolean }[]> {
  const res = await h.request('/v1/servers', { headers: bearer(session) })
  expect(res.status).toBe(200)
  return ((await res.json()) as { servers: { clientIdentifier: string; owned: boolean }[] }).servers
}

/** A bearer Home switch to Dana (a managed user without a PIN): the new session's token. */
async function switchToDana(h: Harness, session: string): Promise<string> {
  const switched = await h.request('/v1/home/switch', {
    method: 'POST',
    headers: { ...bearer(session), 'Content-Type': 'application/json', 'X-Session-Mode': 'bearer' },
    body: JSON.stringify({ uuid: DANA_UUID }),
  })
  expect(switched.status).toBe(201)
  return ((await switched.json()) as { session: { token: string } }).session.token
}

describe('with the default settings, every way in reaches the servers', () => {
  const ways: [string, (h: Harness) => Promise<string>][] = [
    ['PIN', async (h) => (await pinSignIn(h)).token],
    ['password', async (h) => (await h.signIn()).token],
    [
      'token exchange',
      async (h) => {
        const res = await h.request('/v1/sessions', {
          ...json({ plexToken: ALICE_TOKEN }),
          headers: {
            'Content-Type': 'application/json',
            'X-Session-Mode': 'bearer',
            'CF-Connecting-IP': randomIp(),
          },
        })
        expect(res.status).toBe(201)
        return ((await res.json()) as { session: { token: string } }).session.token
      },
    ],
  ]
  for (const [way, signIn] of ways) {
    it(`${way}: a transient token and the source connection of an owned server; no JWT reaches it`, async () => {
      const h = harness()
      const session = await signIn(h)
      expect((await transientToken(h, session)).status).toBe(200)
      expect((await h.request(SOURCE, { headers: bearer(session) })).status).toBe(200)
      // By clientIdentifier too, after discovery.
      expect((await discover(h, session)).find((s) => s.clientIdentifier === MAIN_SERVER_ID)?.owned).toBe(
        true,
      )
      expect((await transientToken(h, session, MAIN_SERVER_ID)).status).toBe(200)
      expect(serverCalls(h).length).toBeGreaterThan(0)
      expectNoJwtReachedAServer(h)
    })
  }

  it('PIN: a shared server (a friend’s view) is called with its own token', async () => {
    const h = harness()
    const bob = await pinSignIn(h, 'bob')
    const listed = await discover(h, bob.token)
    expect(listed.map((s) => [s.clientIdentifier, s.owned])).toEqual([[MAIN_SERVER_ID, false]])
    expect((await transientToken(h, bob.token, MAIN_SERVER_ID)).status).toBe(200)
    expect(serverCalls(h).at(-1)?.token).toBe('BobShareAcc3ssT0k5nX')
  })

  it('PIN, then a Home switch: the admin’s server is called with the member’s own server token', async () => {
    const h = harness()
    const alice = await pinSignIn(h)
    const dana = await switchToDana(h, alice.token)
    expect((await discover(h, dana)).find((s) => s.clientIdentifier === MAIN_SERVER_ID)?.owned).toBe(false)
    expect((await transientToken(h, dana, MAIN_SERVER_ID)).status).toBe(200)
    expect(serverCalls(h).at(-1)?.token).not.toBe(alice.plexToken)
    expectNoJwtReachedAServer(h)
  })
})

describe('token exchange of a Plex JWT', () => {
  it('is refused with a clear 400 naming plexToken: the worker could neither renew it nor reach servers', async () => {
    const h = harness(JWT_SESSIONS)
    const { plexToken: jwt } = await pinSignIn(h)
    const res = await h.request('/v1/sessions', {
      ...json({ plexToken: jwt }),
      headers: {
        'Content-Type': 'application/json',
        'X-Session-Mode': 'bearer',
        'CF-Connecting-IP': randomIp(),
      },
    })
    const problem = await expectProblem(res, 400, 'invalid_request')
    expect(problem.issues).toEqual([{ path: 'plexToken', message: expect.stringContaining('Plex JWT') }])
    expect(JSON.stringify(problem)).not.toContain(jwt)
  })
})

describe('with PLEX_TOKEN_KIND=jwt (opt-in), a PIN session holds a Plex JWT', () => {
  it('owned servers answer 409 jwt_not_accepted_by_server before any request, and the session survives', async () => {
    const h = harness(JWT_SESSIONS)
    const alice = await pinSignIn(h)
    expect(isPlexJwt(alice.plexToken)).toBe(true)
    const refused = await expectProblem(
      await transientToken(h, alice.token),
      409,
      'jwt_not_accepted_by_server',
    )
    expect(refused.detail).toContain('PLEX_TOKEN_KIND=legacy')
    expect(JSON.stringify(refused)).not.toContain(alice.plexToken)
    await expectProblem(
      await h.request(SOURCE, { headers: bearer(alice.token) }),
      409,
      'jwt_not_accepted_by_server',
    )
    expect(await discover(h, alice.token)).not.toEqual([])
    await expectProblem(
      await transientToken(h, alice.token, MAIN_SERVER_ID),
      409,
      'jwt_not_accepted_by_server',
    )
    expect(serverCalls(h)).toEqual([])
    expect((await h.request('/v1/user', { headers: bearer(alice.token) })).status).toBe(200)
  })

  it('a shared server still works: its accessToken is opaque', async () => {
    const h = harness(JWT_SESSIONS)
    const bob = await pinSignIn(h, 'bob')
    await discover(h, bob.token)
    expect((await transientToken(h, bob.token, MAIN_SERVER_ID)).status).toBe(200)
    expectNoJwtReachedAServer(h)
  })

  it('a Home switch mints an opaque token: the switched session reaches the admin’s servers', async () => {
    const h = harness(JWT_SESSIONS)
    const alice = await pinSignIn(h)
    const dana = await switchToDana(h, alice.token)
    await discover(h, dana)
    expect((await transientToken(h, dana, MAIN_SERVER_ID)).status).toBe(200)
    expectNoJwtReachedAServer(h)
  })

  // The renewal's code 1097 for a key plex.tv no longer holds: jwt-session.test.ts "ends when plex.tv no
  // longer knows its key".
  it('a device removed from Authorized Devices ends the session at its next use', async () => {
    const h = harness(JWT_SESSIONS)
    const alice = await pinSignIn(h)
    expect(h.fake.removeDevice(alice.clientIdentifier)).toBe(true)
    // The JWT was revoked with the device: the next use is refused and the session ends.
    await expectProblem(
      await h.request('/v1/user', { headers: bearer(alice.token) }),
      401,
      'plex_token_rejected',
    )
    await expectProblem(await h.request('/v1/user', { headers: bearer(alice.token) }), 401, 'unauthenticated')
  })
})
