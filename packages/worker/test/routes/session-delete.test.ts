import { beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE_TOKEN,
  ALLOWED_ORIGIN,
  bearer,
  clearKv,
  dumpKv,
  expectKvClean,
  expectProblem,
  type Harness,
  harness,
  json,
} from '../helpers.ts'
import { pinSignIn, sealedSecrets, storedSession } from '../session-helpers.ts'

beforeEach(clearKv)

const idOf = async (token: string): Promise<string> => (await storedSession(token))!.id as string
const end = (h: Harness, token: string, id: string, headers: Record<string, string> = {}) =>
  h.request(`/v1/sessions/${id}`, { method: 'DELETE', headers: { ...bearer(token), ...headers } })

describe('DELETE /v1/sessions/{id}', () => {
  it('ends one session of the account, revoking its Plex device; the others keep working', async () => {
    const h = harness()
    const keep = await h.signIn()
    const ended = await pinSignIn(h)
    const other = await h.signIn()
    expect(h.fake.devices('alice')).toHaveLength(3)
    const res = await end(h, keep.token, await idOf(ended.token))
    expect(res.status).toBe(204)
    expect(res.headers.get('Set-Cookie')).toBeNull() // not the asking session: its cookie stays
    // Revoked at plex.tv as its own device: exactly that device left "Authorized Devices".
    const revoke = h.fake.requests.find((r) => r.method === 'DELETE')!
    expect(revoke.headers['x-plex-token']).toBe(ended.plexToken)
    expect(revoke.headers['x-plex-client-identifier']).toBe(ended.clientIdentifier)
    expect(h.fake.devices('alice').map((d) => d.clientIdentifier)).not.toContain(ended.clientIdentifier)
    expect(h.fake.devices('alice')).toHaveLength(2)
    await expectProblem(await h.request('/v1/user', { headers: bearer(ended.token) }), 401, 'unauthenticated')
    for (const token of [keep.token, other.token])
      expect((await h.request('/v1/user', { headers: bearer(token) })).status).toBe(200)
    const listed = (await (await h.request('/v1/sessions', { headers: bearer(keep.token) })).json()) as {
      sessions: unknown[]
    }
    expect(listed.sessions).toHaveLength(2)
    // Its session and everything else are gone from KV.
    const entries = await expectKvClean([keep.token, other.token, ended.token, ...(await sealedSecrets())])
    expect(entries.filter((e) => e.name.startsWith('session:'))).toHaveLength(2)
  })

  it("a stranger's id is 404, like an unknown one, and ends nothing", async () => {
    const h = harness()
    const alice = await h.signIn('alice')
    const carol = await h.signIn('carol')
    const aliceId = await idOf(alice.token)
    await expectProblem(await end(h, carol.token, aliceId), 404, 'not_found')
    await expectProblem(await end(h, carol.token, 'A'.repeat(22)), 404, 'not_found')
    expect((await h.request('/v1/user', { headers: bearer(alice.token) })).status).toBe(200)
    expect(h.fake.requests.some((r) => r.method === 'DELETE')).toBe(false)
    expect(h.fake.devices('alice')).toHaveLength(1)
  })

  it('ending the asking session itself signs it out and clears its cookie', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const res = await end(h, token, await idOf(token), { Origin: ALLOWED_ORIGIN })
    expect(res.status).toBe(204)
    expect(res.headers.get('Set-Cookie')).toMatch(/^__Host-plex_session=; Max-Age=0/)
    expect(await dumpKv()).toEqual([])
  })

  it('an exchanged token is not revoked: it is the frontend’s', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const res = await h.request(
      '/v1/sessions',
      json({ plexToken: ALICE_TOKEN }, { 'X-Session-Mode': 'bearer' }),
    )
    const exchanged = ((await res.json()) as { session: { token: string } }).session.token
    expect((await end(h, token, await idOf(exchanged))).status).toBe(204)
    expect(h.fake.requests.some((r) => r.method === 'DELETE')).toBe(false)
    await expectProblem(await h.request('/v1/user', { headers: bearer(exchanged) }), 401, 'unauthenticated')
  })

  it('a cookie request needs an allowed Origin (CSRF), and the id must look like one', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const id = await idOf(token)
    const cookie = { Cookie: `__Host-plex_session=${token}` }
    await expectProblem(
      await h.request(`/v1/sessions/${id}`, { method: 'DELETE', headers: cookie }),
      403,
      'origin_not_allowed',
    )
    await expectProblem(
      await h.request(`/v1/sessions/${id}`, {
        method: 'DELETE',
        headers: { ...cookie, Origin: 'https://evil.example' },
      }),
      403,
      'origin_not_allowed',
    )
    await expectProblem(await end(h, token, 'not-an-id'), 400, 'invalid_request')
    await expectProblem(await h.request(`/v1/sessions/${id}`, { method: 'DELETE' }), 401, 'unauthenticated')
    expect((await h.request('/v1/user', { headers: bearer(token) })).status).toBe(200)
    const res = await h.request(`/v1/sessions/${id}`, {
      method: 'DELETE',
      headers: { ...cookie, Origin: ALLOWED_ORIGIN },
    })
    expect(res.status).toBe(204)
  })
})
