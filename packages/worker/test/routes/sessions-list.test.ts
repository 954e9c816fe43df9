import { env } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import { sha256 } from '../../src/token-crypto.ts'
import {
  ALICE_TOKEN,
  bearer,
  clearKv,
  dumpKv,
  expectKvClean,
  expectProblem,
  type Harness,
  harness,
  json,
  openKv,
  SEALED_VALUE,
} from '../helpers.ts'
import { ALICE_UUID, pinSignIn, sealedSecrets, storedSession } from '../session-helpers.ts'

beforeEach(clearKv)

const CAROL_UUID = 'ca201000000ca201'

interface Listed {
  id: string
  createdAt: string
  lastUsedAt: string
  deviceName: string
  method: string
  current: boolean
}

async function list(h: Harness, token: string): Promise<Listed[]> {
  const res = await h.request('/v1/sessions', { headers: bearer(token) })
  expect(res.status, await res.clone().text()).toBe(200)
  return ((await res.json()) as { sessions: Listed[] }).sessions
}

async function exchange(h: Harness, plexToken: string, userAgent?: string): Promise<string> {
  const headers: Record<string, string> = { 'X-Session-Mode': 'bearer' }
  if (userAgent) headers['User-Agent'] = userAgent
  const res = await h.request('/v1/sessions', json({ plexToken }, headers))
  return ((await res.json()) as { session: { token: string } }).session.token
}

describe('GET /v1/sessions', () => {
  it("lists the account's sessions, newest first, with how each was opened; `current` marks the asker", async () => {
    const h = harness()
    const password = await h.signIn('alice')
    const pin = await pinSignIn(h, 'alice', {
      'User-Agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Firefox/133.0',
    })
    const exchanged = await exchange(h, ALICE_TOKEN)
    const sessions = await list(h, pin.token)
    expect(sessions.map((s) => [s.method, s.current, s.deviceName])).toEqual([
      ['token', false, 'Web session'],
      ['pin', true, 'Firefox on macOS'],
      ['password', false, 'Web session'],
    ])
    // Ids are the sessions' own (stored with them), not their tokens nor their hashes.
    const ids = await Promise.all(
      [exchanged, pin.token, password.token].map(async (t) => (await storedSession(t))!.id),
    )
    expect(sessions.map((s) => s.id)).toEqual(ids)
    for (const s of sessions) {
      expect(Object.keys(s).sort()).toEqual([
        'createdAt',
        'current',
        'deviceName',
        'id',
        'lastUsedAt',
        'method',
      ])
      expect(s.id).toMatch(/^[A-Za-z0-9_-]{22}$/)
      expect(Date.parse(s.lastUsedAt)).toBe(Date.parse(s.createdAt))
    }
    const text = JSON.stringify(sessions)
    for (const t of [password.token, pin.token, exchanged, await sha256(pin.token), pin.clientIdentifier])
      expect(text).not.toContain(t)
    expect((await list(h, password.token)).map((s) => s.current)).toEqual([false, false, true])
  })

  it("lists only the asking account's sessions (a stranger sees none of them)", async () => {
    const h = harness()
    const alice = await h.signIn('alice')
    await h.signIn('alice')
    // bob has 2FA: his session comes from a token exchange.
    const bobToken = await exchange(h, 'B0bT0kenFaKe4Yz8Wq1P')
    const bobs = await list(h, bobToken)
    expect(bobs).toHaveLength(1)
    expect(bobs[0]!.current).toBe(true)
    const alices = await list(h, alice.token)
    expect(alices).toHaveLength(2)
    expect(alices.map((s) => s.id)).not.toContain(bobs[0]!.id)
  })

  it('keeps one sealed index entry per session under the hashed account uuid, no secret in plaintext', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const session = (await storedSession(token))!
    const entries = await expectKvClean([token, ...(await sealedSecrets())])
    const index = entries.find((e) => e.name.startsWith('user:'))!
    expect(index.name).toBe(`user:${await sha256(ALICE_UUID)}:${session.id}`)
    expect(index.name).not.toContain(ALICE_UUID)
    expect(index.value).toMatch(SEALED_VALUE)
    expect(await openKv(index.name, index.value)).toEqual({ v: 2, session: await sha256(token) })
    // It lives exactly as long as its session.
    expect(index.expiration).toBe(entries.find((e) => e.name.startsWith('session:'))!.expiration)
  })

  it('skips an entry whose session is gone, and one moved under another account', async () => {
    const h = harness()
    const alice = await h.signIn('alice')
    const other = await h.signIn('alice')
    const carol = await h.signIn('carol')
    const kv = env.PLEX_AUTH_KV!
    // The other session's own key vanishes (as if it expired) while its entry stays.
    await kv.delete(`session:${await sha256(other.token)}`)
    // Carol's entry copied under alice's account: it does not open there (sealed to its own key).
    const carolPrefix = `user:${await sha256(CAROL_UUID)}:`
    const carolEntry = (await dumpKv()).find((e) => e.name.startsWith(carolPrefix))!
    await kv.put(
      `user:${await sha256(ALICE_UUID)}:${carolEntry.name.slice(carolPrefix.length)}`,
      carolEntry.value!,
      {
        expiration: carolEntry.expiration!,
      },
    )
    const sessions = await list(h, alice.token)
    expect(sessions).toHaveLength(1)
    expect(sessions[0]!.current).toBe(true)
    expect((await list(h, carol.token)).map((s) => s.current)).toEqual([true])
  })

  it('works with a cookie session (a GET needs no Origin) and answers 401 without one', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const res = await h.request('/v1/sessions', { headers: { Cookie: `__Host-plex_session=${token}` } })
    expect(res.status).toBe(200)
    await expectProblem(await h.request('/v1/sessions'), 401, 'unauthenticated')
    expect((await dumpKv()).length).toBe(2)
  })
})
