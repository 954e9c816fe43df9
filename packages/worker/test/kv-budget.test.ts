/// <reference types="vite/client" />
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import readme from '../../../README.md?raw'
import { runKeepAlive } from '../src/scheduled.ts'
import { ALICE_TOKEN, bearer, clearKv, type Harness, harness, json, MAIN_SERVER_ID } from './helpers.ts'
import { countingKv, countOps, type KvOperation, pinSignIn, storedSession } from './session-helpers.ts'

/*
 * KV operations per request, counted on the real binding (a counting proxy around miniflare's KV) with
 * the isolate's session cache off, so every request reads its session from KV. Cloudflare bills each
 * operation: this table is the budget, the README lists it (checked below), and a route that reads or
 * writes more fails here.
 */

type Counts = [get: number, put: number, del: number, list: number]

/** What each request costs, as the README's table says: reads, writes, deletes, lists. */
const BUDGET: Record<string, Counts> = {
  'GET /v1/health': [0, 0, 0, 0],
  'POST /v1/sign-in': [0, 1, 0, 0],
  'POST /v1/sessions': [0, 1, 0, 0],
  'POST /v1/pins': [0, 1, 0, 0],
  'GET /v1/pins/{id} (pending)': [1, 0, 0, 0],
  'GET /v1/pins/{id} (authorized)': [1, 1, 1, 0],
  'GET /v1/user': [1, 0, 0, 0],
  'GET /v1/user?from=claims': [1, 0, 0, 0],
  'GET /v1/servers': [1, 1, 0, 0],
  'POST /v1/transient-token (cached)': [3, 0, 0, 0],
  'POST /v1/transient-token (fresh)': [2, 1, 0, 0],
  'GET /v1/source-connection': [3, 1, 0, 0],
  'GET /v1/sessions (3 sessions)': [1, 0, 0, 0],
  'DELETE /v1/sessions/{id}': [3, 0, 3, 1],
  'POST /v1/sign-out': [1, 0, 3, 1],
  'POST /v1/sign-out {everywhere} (3 sessions)': [5, 0, 9, 3],
  'GET /v1/home/users': [1, 0, 0, 0],
  'GET /v1/access': [1, 0, 0, 0],
  'GET /v1/forward-auth': [1, 0, 0, 0],
  'POST /v1/home/switch': [1, 1, 3, 1],
  'a use that pings (legacy, once a day)': [4, 1, 0, 0],
  'a use that renews the JWT (about every 6 days)': [4, 1, 0, 0],
  'cron run: 3 sessions, 1 idle to ping': [8, 1, 0, 1],
}

const measured = new Map<string, Counts>()
let counted: ReturnType<typeof countingKv>
let start: number

beforeEach(async () => {
  await clearKv()
  counted = countingKv(env.PLEX_AUTH_KV!)
  start = Date.now()
  vi.useFakeTimers({ toFake: ['Date'], now: start })
})
afterEach(() => {
  vi.useRealTimers()
})

// PIN sign-ins hold Plex JWTs (opt-in), for the JWT rows; password sign-ins and exchanges stay legacy.
const fresh = () =>
  harness({ env: { PLEX_AUTH_KV: counted.kv, SESSION_CACHE_SECONDS: '0', PLEX_TOKEN_KIND: 'jwt' } })

/** Counts the KV operations of `action` only, and records them under `name`. */
async function measure(name: string, action: () => Promise<unknown>): Promise<void> {
  counted.ops.length = 0
  await action()
  const { get, put, delete: del, list } = countOps(counted.ops as KvOperation[])
  measured.set(name, [get, put, del, list])
  expect([get, put, del, list], name).toEqual(BUDGET[name])
}

const ok = async (res: Promise<Response>, status = 200): Promise<Response> => {
  const answer = await res
  expect(answer.status, await answer.clone().text()).toBe(status)
  return answer
}

async function exchange(h: Harness): Promise<string> {
  const res = await ok(
    h.request('/v1/sessions', json({ plexToken: ALICE_TOKEN }, { 'X-Session-Mode': 'bearer' })),
    201,
  )
  return ((await res.json()) as { session: { token: string } }).session.token
}

describe('KV operations per request', () => {
  it('sign-in, PIN, exchange, health', async () => {
    const h = fresh()
    await measure('GET /v1/health', () => ok(h.request('/v1/health')))
    await measure('POST /v1/sign-in', () => h.signIn())
    await measure('POST /v1/sessions', () => exchange(h))
    let pin = { id: '', code: '', pollToken: '' }
    await measure('POST /v1/pins', async () => {
      pin = (await (await ok(h.request('/v1/pins', { method: 'POST' }), 201)).json()) as typeof pin
    })
    const poll = () => ok(h.request(`/v1/pins/${pin.id}`, { headers: { 'X-Poll-Token': pin.pollToken } }))
    await measure('GET /v1/pins/{id} (pending)', poll)
    h.fake.approvePin(pin.code, 'alice')
    vi.setSystemTime(start + 2000)
    await measure('GET /v1/pins/{id} (authorized)', poll)
  })

  it('routes with a session', async () => {
    const h = fresh()
    const { token } = await h.signIn()
    const jwt = await pinSignIn(h)
    await measure('GET /v1/user', () => ok(h.request('/v1/user', { headers: bearer(token) })))
    await ok(h.request('/v1/user?from=claims', { headers: bearer(jwt.token) })) // plex.tv's keys, once
    await measure('GET /v1/user?from=claims', () =>
      ok(h.request('/v1/user?from=claims', { headers: bearer(jwt.token) })),
    )
    await measure('GET /v1/servers', () => ok(h.request('/v1/servers', { headers: bearer(token) })))
    await measure('POST /v1/transient-token (fresh)', () =>
      ok(h.request('/v1/transient-token', json({ server: MAIN_SERVER_ID, fresh: true }, bearer(token)))),
    )
    await measure('POST /v1/transient-token (cached)', () =>
      ok(h.request('/v1/transient-token', json({ server: MAIN_SERVER_ID }, bearer(token)))),
    )
    await measure('GET /v1/source-connection', () =>
      ok(h.request(`/v1/source-connection?source=server://${MAIN_SERVER_ID}`, { headers: bearer(token) })),
    )
    await measure('GET /v1/home/users', () => ok(h.request('/v1/home/users', { headers: bearer(token) })))
    await measure('GET /v1/access', () => ok(h.request('/v1/access', { headers: bearer(token) })))
    await measure('GET /v1/forward-auth', () => ok(h.request('/v1/forward-auth', { headers: bearer(token) })))
    const other = await h.signIn() // with no cached tokens to delete
    await measure('POST /v1/home/switch', () =>
      ok(h.request('/v1/home/switch', json({ uuid: 'da4a000000000da4' }, bearer(other.token))), 201),
    )
  })

  it("a user's sessions and sign-out", async () => {
    const h = fresh()
    const { token } = await h.signIn()
    const second = await h.signIn()
    const third = await h.signIn()
    await measure('GET /v1/sessions (3 sessions)', () =>
      ok(h.request('/v1/sessions', { headers: bearer(token) })),
    )
    const id = (await storedSession(second.token))!.id
    await measure('DELETE /v1/sessions/{id}', () =>
      ok(h.request(`/v1/sessions/${id}`, { method: 'DELETE', headers: bearer(token) }), 204),
    )
    await measure('POST /v1/sign-out', () =>
      ok(h.request('/v1/sign-out', { method: 'POST', headers: bearer(token) }), 204),
    )
    await ok(h.request('/v1/sign-out', { method: 'POST', headers: bearer(third.token) }), 204)
    const three = [await h.signIn(), await h.signIn(), await h.signIn()]
    await measure('POST /v1/sign-out {everywhere} (3 sessions)', () =>
      ok(h.request('/v1/sign-out', json({ everywhere: true }, bearer(three[0]!.token))), 204),
    )
  })

  it('the keep-alive: on use (once a day) and the cron', async () => {
    const h = fresh()
    const { token } = await h.signIn()
    const jwt = await pinSignIn(h)
    vi.setSystemTime(start + 25 * 3600_000)
    await measure('a use that pings (legacy, once a day)', async () => {
      const ctx = createExecutionContext()
      await ok(h.request('/v1/user', { headers: bearer(token) }, {}, ctx))
      await waitOnExecutionContext(ctx)
    })
    vi.setSystemTime(start + 6.5 * 24 * 3600_000)
    await measure('a use that renews the JWT (about every 6 days)', async () => {
      const ctx = createExecutionContext()
      await ok(h.request('/v1/user', { headers: bearer(jwt.token) }, {}, ctx))
      await waitOnExecutionContext(ctx)
    })
    // Renewed today; the legacy session idle for 8 days, a third one used today.
    const busy = await exchange(h)
    vi.setSystemTime(start + 9 * 24 * 3600_000)
    await ok(h.request('/v1/sessions', { headers: bearer(busy) }))
    await ok(h.request('/v1/user', { headers: bearer(jwt.token) }))
    await measure('cron run: 3 sessions, 1 idle to ping', () =>
      runKeepAlive({ ...h.env, PLEX_AUTH_KV: counted.kv }, { fetch: h.fake.fetch }).then((report) =>
        expect(report).toMatchObject({ sessionsRead: 3, pinged: 1, refreshed: 0 }),
      ),
    )
  })

  it('the README lists these numbers', () => {
    expect([...measured.keys()].sort()).toEqual(Object.keys(BUDGET).sort())
    const section = readme.split(/^\*\*KV operations per request\*\*/m)[1] ?? ''
    for (const [name, [get, put, del, list]] of Object.entries(BUDGET)) {
      const row = `| ${name.replace(/^(GET|POST|DELETE) (\S+)/, '`$1 $2`')} | ${get} | ${put} | ${del} | ${list} |`
      expect(section, `README row for ${name}`).toContain(row)
    }
  })
})
