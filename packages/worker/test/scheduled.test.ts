import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import wrangler from '../../../wrangler.toml?raw'
import { configFor } from '../src/config.ts'
import worker from '../src/index.ts'
import { runKeepAlive } from '../src/scheduled.ts'
import { createSessionStore } from '../src/sessions/session-store.ts'
import {
  ALICE_TOKEN,
  bearer,
  dumpKv,
  expectKvClean,
  expectProblem,
  type Harness,
  harness,
  json,
  lineageOf,
} from './helpers.ts'
import {
  ALICE_UUID,
  countingKv,
  countOps,
  DAY,
  HOUR,
  JWT_SESSIONS,
  pinSignIn,
  sealedSecrets,
  storedSession,
  useFakeClock,
} from './session-helpers.ts'

/*
 * The keep-alive cron, called as the handler function with an env and a faked clock (Date only), in
 * workerd with real KV: what it keeps alive, and that each run stays within its bounds.
 */

const { later, startedAt } = useFakeClock()
const pingsOf = (h: Harness, plexToken: string) =>
  h.fake.requests.filter((r) => r.url.endsWith('/api/v2/ping') && r.headers['x-plex-token'] === plexToken)
const renewals = (h: Harness) => h.fake.requests.filter((r) => r.url.endsWith('/api/v2/auth/token'))

async function exchanged(h: Harness): Promise<string> {
  const res = await h.request(
    '/v1/sessions',
    json({ plexToken: ALICE_TOKEN }, { 'X-Session-Mode': 'bearer' }),
  )
  expect(res.status).toBe(201)
  return ((await res.json()) as { session: { token: string } }).session.token
}

describe('the keep-alive cron', () => {
  it('pings idle legacy sessions, renews idle JWT sessions, leaves sessions in use alone', async () => {
    const h = harness(JWT_SESSIONS)
    const idle = await h.signIn('alice')
    const busy = await h.signIn('carol')
    const jwt = await pinSignIn(h, 'alice')
    later(7 * DAY + 12 * HOUR)
    expect((await h.request('/v1/sessions', { headers: bearer(busy.token) })).status).toBe(200)
    const busyPings = pingsOf(h, busy.plexToken).length // its own daily ping, on use

    later(8 * DAY)
    const report = await runKeepAlive(h.env, { fetch: h.fake.fetch })
    expect(report).toEqual({
      pages: 1,
      sessionsRead: 3,
      pinged: 1,
      refreshed: 1,
      ended: 0,
      failed: 0,
      dead: 0,
      denied: 0,
      complete: true,
    })
    expect(pingsOf(h, idle.plexToken)).toHaveLength(1)
    expect(pingsOf(h, busy.plexToken)).toHaveLength(busyPings)
    expect(renewals(h)).toHaveLength(1)
    // The idle session's use is not recorded: only that it was kept alive.
    expect(await storedSession(idle.token)).toMatchObject({ lastPingAt: Date.now(), lastUsedAt: startedAt() })
    const renewed = (await storedSession(jwt.token))!
    expect(renewed.plexToken).not.toBe(jwt.plexToken)
    expect((renewed.jwt as { expiresAt: number }).expiresAt).toBeGreaterThan(Date.now() + 6.9 * DAY)
    // And it still works.
    expect((await h.request('/v1/user', { headers: bearer(jwt.token) })).status).toBe(200)

    // The next day's run has nothing to do; a week later the idle ones again.
    later(9 * DAY)
    expect(await runKeepAlive(h.env, { fetch: h.fake.fetch })).toMatchObject({ pinged: 0, refreshed: 0 })
    later(15 * DAY)
    expect(await runKeepAlive(h.env, { fetch: h.fake.fetch })).toMatchObject({ pinged: 2, refreshed: 1 })
    await expectKvClean([idle.token, busy.token, jwt.token, ...(await sealedSecrets())])
  })

  it('ends the sessions whose token plex.tv refuses', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    h.fake.revokeToken(plexToken)
    later(8 * DAY)
    expect(await runKeepAlive(h.env, { fetch: h.fake.fetch })).toMatchObject({ ended: 1, pinged: 0 })
    expect(await storedSession(token)).toBeUndefined()
    expect(await dumpKv()).toEqual([])
  })

  it('with an access policy, ends an idle session whose user lost access rather than keep it alive', async () => {
    const policy = {
      PLEX_ACCESS_SERVERS: '4d1c3e9a5b7f2e8d6c0a1b3f5e7d9c2a4b6e8f01',
      PLEX_ACCESS_OWNER_ID: '10000001',
    }
    const h = harness({ env: policy })
    const alice = await h.signIn('alice')
    const exchangedBob = await h.request(
      '/v1/sessions',
      json({ plexToken: 'B0bT0kenFaKe4Yz8Wq1P' }, { 'X-Session-Mode': 'bearer' }),
    )
    expect(exchangedBob.status).toBe(201)
    const bob = (await exchangedBob.json()) as { session: { token: string } }
    h.fake.withdrawShare('4d1c3e9a5b7f2e8d6c0a1b3f5e7d9c2a4b6e8f01', 'bob')
    later(8 * DAY)
    expect(await runKeepAlive(h.env, { fetch: h.fake.fetch })).toMatchObject({ pinged: 1, denied: 1 })
    await expectProblem(
      await h.request('/v1/user', { headers: bearer(bob.session.token) }),
      401,
      'unauthenticated',
    )
    expect((await h.request('/v1/user', { headers: bearer(alice.token) })).status).toBe(200)
  })

  it('honours KEEP_ALIVE_AFTER_DAYS', async () => {
    const h = harness()
    const { plexToken } = await h.signIn()
    later(2 * DAY)
    const twoDays = { ...h.env, KEEP_ALIVE_AFTER_DAYS: '2' }
    expect(await runKeepAlive(h.env, { fetch: h.fake.fetch })).toMatchObject({ pinged: 0 })
    expect(await runKeepAlive(twoDays, { fetch: h.fake.fetch })).toMatchObject({ pinged: 1 })
    expect(pingsOf(h, plexToken)).toHaveLength(1)
  })

  it('is bounded: at most KEEP_ALIVE_MAX_PAGES list pages and KEEP_ALIVE_MAX_PER_RUN keep-alives a run, one write per key', async () => {
    const h = harness()
    const tokens: string[] = []
    for (let i = 0; i < 5; i++) tokens.push(await exchanged(h))
    later(8 * DAY)
    const counted = countingKv(env.PLEX_AUTH_KV!)
    const bounded = {
      ...h.env,
      PLEX_AUTH_KV: counted.kv,
      KEEP_ALIVE_MAX_PAGES: '2',
      KEEP_ALIVE_MAX_PER_RUN: '3',
    }
    const run = async () => {
      counted.ops.length = 0
      const report = await runKeepAlive(bounded, { fetch: h.fake.fetch, pageSize: 2 })
      const sessionLists = counted.ops.filter((o) => o.op === 'list' && o.key === 'session:')
      expect(sessionLists.length).toBeLessThanOrEqual(2)
      expect(sessionLists.length).toBe(report.pages)
      // KV allows one write per second per key: a run writes each key once at most.
      const puts = counted.ops.filter((o) => o.op === 'put').map((o) => o.key)
      expect(new Set(puts).size).toBe(puts.length)
      expect(countOps(counted.ops).put).toBeLessThanOrEqual(3 + 1) // sessions kept alive, and the cursor
      return report
    }

    // Run 1: three keep-alives (the cap), the third in the second page; the cursor marks that page.
    expect(await run()).toEqual({
      pages: 2,
      sessionsRead: 3,
      pinged: 3,
      refreshed: 0,
      ended: 0,
      failed: 0,
      dead: 0,
      denied: 0,
      complete: false,
    })
    expect(counted.ops.filter((o) => o.op === 'put' && o.key === 'cron:keep-alive')).toHaveLength(1)
    // Run 2 goes on from there: the session already pinged is no longer due; the last two are.
    expect(await run()).toMatchObject({ pages: 2, sessionsRead: 3, pinged: 2, complete: true })
    expect(counted.ops.filter((o) => o.key === 'cron:keep-alive').map((o) => o.op)).toEqual(['get', 'delete'])
    // Every session was pinged exactly once over the two runs.
    for (const token of tokens) expect((await storedSession(token))!.lastPingAt).toBe(Date.now())
    expect(pingsOf(h, ALICE_TOKEN)).toHaveLength(5)
    // Run 3 starts over: two pages, nothing to do.
    expect(await run()).toMatchObject({ pages: 2, sessionsRead: 4, pinged: 0, complete: false })
    await expectKvClean(tokens)
  })

  it('a cursor KV no longer takes costs one run at most: the next one starts over', async () => {
    const h = harness()
    await exchanged(h)
    later(8 * DAY)
    const counted = countingKv(env.PLEX_AUTH_KV!)
    const store = createSessionStore(env.PLEX_AUTH_KV!, (await configFor(env)).keyring, Date.now)
    await store.putKeepAliveCursor('not-a-cursor')
    const kv = { ...h.env, PLEX_AUTH_KV: counted.kv }
    // Real KV refuses an unknown cursor (the run then starts over at once); miniflare lists nothing.
    const first = await runKeepAlive(kv, { fetch: h.fake.fetch })
    expect(first.complete).toBe(true)
    expect(await store.getKeepAliveCursor()).toBeUndefined()
    const pinged = first.pinged + (await runKeepAlive(kv, { fetch: h.fake.fetch })).pinged
    expect(pinged).toBe(1)
  })

  it('leaves alone a session its lineage ended whose KV key is still there (switched from, or signed out elsewhere)', async () => {
    const h = harness()
    const ended = await h.signIn('alice')
    const id = (await storedSession(ended.token))!.id as string
    await (await lineageOf(h, ALICE_UUID)).end([id], Date.now())
    later(8 * DAY)
    expect(await runKeepAlive(h.env, { fetch: h.fake.fetch })).toMatchObject({ dead: 1, pinged: 0 })
    expect(pingsOf(h, ended.plexToken)).toEqual([])
  })

  it("is the worker's scheduled handler, on the cron wrangler.toml declares", async () => {
    expect(wrangler).toMatch(/^\[triggers\]\ncrons = \["17 3 \* \* \*"\]$/m)
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
    const ctx = createExecutionContext()
    worker.scheduled(createScheduledController({ cron: '17 3 * * *', scheduledTime: Date.now() }), env, ctx)
    await waitOnExecutionContext(ctx)
    expect(log).toHaveBeenCalledWith(
      JSON.stringify({
        keepAlive: {
          pages: 1,
          sessionsRead: 0,
          pinged: 0,
          refreshed: 0,
          ended: 0,
          failed: 0,
          dead: 0,
          denied: 0,
          complete: true,
        },
      }),
    )
    log.mockRestore()
    expect(await dumpKv()).toEqual([])
  })
})
