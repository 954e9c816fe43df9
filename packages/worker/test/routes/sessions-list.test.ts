import { env } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import { SESSIONS_PER_PAGE } from '../../src/routes/sessions-list.ts'
import { sha256 } from '../../src/sessions/token-crypto.ts'
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
  lineageOf,
} from '../helpers.ts'
import { ALICE_UUID, pinSignIn, sealedSecrets, storedSession } from '../session-helpers.ts'

beforeEach(clearKv)

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

  it('lists from the lineage alone: no KV key per account, nothing about the account in KV', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const entries = await expectKvClean([token, ...(await sealedSecrets())])
    expect(entries.map((e) => e.name.split(':')[0])).toEqual(['session'])
    for (const entry of entries) expect(entry.name).not.toContain(await sha256(ALICE_UUID))
    expect(await list(h, token)).toHaveLength(1)
  })

  it('leaves out a session its lineage ended, even while its KV key lingers (as at another location)', async () => {
    const h = harness()
    const alice = await h.signIn('alice')
    const other = await h.signIn('alice')
    const otherId = (await storedSession(other.token))!.id as string
    const kept = await dumpKv()
    const lineage = await lineageOf(h, ALICE_UUID)
    await lineage.end([otherId], Date.now())
    // Its KV keys put back, as a location KV has not told yet would still have them.
    for (const entry of kept)
      if (entry.value !== null)
        await env.PLEX_AUTH_KV!.put(entry.name, entry.value, { expiration: entry.expiration! })
    const sessions = await list(h, alice.token)
    expect(sessions.map((s) => s.current)).toEqual([true])
    await expectProblem(await h.request('/v1/user', { headers: bearer(other.token) }), 401, 'unauthenticated')
  })

  it('pages with ?cursor=, newest first, each session once; a bad cursor is 400', async () => {
    const h = harness()
    const tokens = []
    for (let i = 0; i < SESSIONS_PER_PAGE + 5; i++) tokens.push(await exchange(h, ALICE_TOKEN))
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const res = await h.request(`/v1/sessions${cursor ? `?cursor=${cursor}` : ''}`, {
        headers: bearer(tokens[0]!),
      })
      const body = (await res.json()) as { sessions: { id: string; createdAt: string }[]; cursor?: string }
      seen.push(...body.sessions.map((s) => s.id))
      cursor = body.cursor
      pages++
    } while (cursor)
    expect(pages).toBe(2)
    expect(new Set(seen).size).toBe(tokens.length)
    await expectProblem(
      await h.request('/v1/sessions?cursor=nope', { headers: bearer(tokens[0]!) }),
      400,
      'invalid_request',
    )
  })

  it('works with a cookie session (a GET needs no Origin) and answers 401 without one', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const res = await h.request('/v1/sessions', { headers: { Cookie: `__Host-plex_session=${token}` } })
    expect(res.status).toBe(200)
    await expectProblem(await h.request('/v1/sessions'), 401, 'unauthenticated')
    expect((await dumpKv()).length).toBe(1)
  })
})
