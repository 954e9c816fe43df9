import { beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE_TOKEN,
  ALLOWED_ORIGIN,
  bearer,
  clearKv,
  dumpKv,
  expectKvClean,
  expectProblem,
  harness,
  json,
} from '../helpers.ts'
import { pinSignIn, sealedSecrets } from '../session-helpers.ts'

beforeEach(clearKv)

const BEARER_MODE = { 'X-Session-Mode': 'bearer' }

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

describe('sign-out revokes the tokens the worker obtained', () => {
  it('a password sign-in token is revoked at plex.tv', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    expect((await h.request('/v1/sign-out', { method: 'POST', headers: bearer(token) })).status).toBe(204)
    const revoke = h.fake.requests.find((r) => r.method === 'DELETE')!
    expect(revoke.url).toBe('https://plex.tv/api/v2/users/signout')
    expect(revoke.headers['x-plex-token']).toBe(plexToken)
    // plex.tv no longer accepts it: exchanging it back fails.
    await expectProblem(await h.request('/v1/sessions', json({ plexToken })), 401, 'invalid_credentials')
  })

  it('an exchanged token is left alone', async () => {
    const h = harness()
    const res = await h.request('/v1/sessions', json({ plexToken: ALICE_TOKEN }, BEARER_MODE))
    const { session } = (await res.json()) as { session: { token: string } }
    expect((await h.request('/v1/sign-out', { method: 'POST', headers: bearer(session.token) })).status).toBe(
      204,
    )
    expect(h.fake.requests.some((r) => r.method === 'DELETE')).toBe(false)
    expect((await h.request('/v1/sessions', json({ plexToken: ALICE_TOKEN }))).status).toBe(201)
  })

  it('a failing revocation still ends the session (best effort)', async () => {
    const h = harness()
    const { token } = await h.signIn()
    h.fake.inject({ kind: 'network', path: '/api/v2/users/signout' })
    expect((await h.request('/v1/sign-out', { method: 'POST', headers: bearer(token) })).status).toBe(204)
    expect(await dumpKv()).toEqual([])
  })
})

describe('POST /v1/sign-out {everywhere: true}', () => {
  it("ends every session of the account, revoking every Plex device the worker obtained; others' stay", async () => {
    const h = harness()
    const asking = await h.signIn('alice')
    const second = await h.signIn('alice')
    const pin = await pinSignIn(h, 'alice')
    const exchanged = (
      (await (await h.request('/v1/sessions', json({ plexToken: ALICE_TOKEN }, BEARER_MODE))).json()) as {
        session: { token: string }
      }
    ).session.token
    const carol = await h.signIn('carol')
    expect(h.fake.devices('alice')).toHaveLength(3)

    const res = await h.request('/v1/sign-out', json({ everywhere: true }, bearer(asking.token)))
    expect(res.status).toBe(204)
    expect(res.headers.get('Set-Cookie')).toMatch(/^__Host-plex_session=; Max-Age=0/)
    // Every device the worker signed in is revoked at plex.tv, each as itself; the exchanged token is left alone.
    expect(h.fake.devices('alice')).toEqual([])
    const revoked = h.fake.requests.filter((r) => r.method === 'DELETE').map((r) => r.headers['x-plex-token'])
    expect(revoked.sort()).toEqual([asking.plexToken, second.plexToken, pin.plexToken].sort())
    for (const token of [asking.token, second.token, pin.token, exchanged])
      await expectProblem(await h.request('/v1/user', { headers: bearer(token) }), 401, 'unauthenticated')
    // Carol's session, device and KV entries are untouched.
    expect((await h.request('/v1/user', { headers: bearer(carol.token) })).status).toBe(200)
    expect(h.fake.devices('carol')).toHaveLength(1)
    const left = await expectKvClean([asking.token, carol.token, ...(await sealedSecrets())])
    expect(left.map((e) => e.name.split(':')[0]).sort()).toEqual(['session'])
  })

  it('without everywhere (or false) ends only this session', async () => {
    const h = harness()
    const one = await h.signIn()
    const two = await h.signIn()
    expect((await h.request('/v1/sign-out', json({ everywhere: false }, bearer(one.token)))).status).toBe(204)
    expect((await h.request('/v1/user', { headers: bearer(two.token) })).status).toBe(200)
    await expectProblem(
      await h.request('/v1/sign-out', json({ everywhere: 'yes' }, bearer(two.token))),
      400,
      'invalid_request',
    )
  })

  it('a cookie request needs an allowed Origin', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const other = await h.signIn()
    await expectProblem(
      await h.request(
        '/v1/sign-out',
        json(
          { everywhere: true },
          { Cookie: `__Host-plex_session=${token}`, Origin: 'https://evil.example' },
        ),
      ),
      403,
      'origin_not_allowed',
    )
    expect((await h.request('/v1/user', { headers: bearer(other.token) })).status).toBe(200)
  })
})
