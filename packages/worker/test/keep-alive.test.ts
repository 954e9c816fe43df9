import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { configFor } from '../src/config.ts'
import { createPlex } from '../src/plex/plex.ts'
import { dueOnUse, type KeepAliveDeps, keepAlive } from '../src/sessions/keep-alive.ts'
import { createSessionStore } from '../src/sessions/session-store.ts'
import { sha256 } from '../src/sessions/token-crypto.ts'
import { bearer, dumpKv, expectKvClean, expectProblem, type Harness, harness } from './helpers.ts'
import {
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
 * The keep-alive on use, in workerd with real KV and a faked clock (Date only): a legacy token is pinged
 * at most once a day per session, a use recorded at most once a day, each costing one KV write; nothing
 * on the other requests; and no keep-alive brings back a session that was signed out.
 */

const { later } = useFakeClock()
const pings = (h: Harness) => h.fake.requests.filter((r) => r.url.endsWith('/api/v2/ping'))
/** A use of the session that makes no plex.tv call of its own. */
const use = (h: Harness, token: string, ctx?: ExecutionContext) =>
  h.request('/v1/sessions', { headers: bearer(token) }, {}, ctx)

describe('keep-alive on use', () => {
  it('pings a legacy token at most once a day per session, after the answer, with one KV write', async () => {
    const counted = countingKv(env.PLEX_AUTH_KV!)
    const h = harness({ env: { PLEX_AUTH_KV: counted.kv } })
    const { token, plexToken } = await h.signIn()
    const hash = await sha256(token)
    // The session key is written once, at sign-in; each keep-alive writes the session's state once.
    const writes = () =>
      counted.ops.filter((o) => o.op === 'put' && (o.key === `session:${hash}` || o.key === `state:${hash}`))
    const sessionWrites = () => counted.ops.filter((o) => o.op === 'put' && o.key === `session:${hash}`)
    expect(writes()).toHaveLength(1) // sign-in

    // Within the first day: no ping, no write.
    for (const at of [HOUR, 12 * HOUR, DAY - HOUR]) {
      later(at)
      expect((await use(h, token)).status).toBe(200)
    }
    expect(pings(h)).toEqual([])
    expect(writes()).toHaveLength(1)

    // A day on: three requests at once, each with its own execution context, make one ping and one write.
    later(DAY + HOUR)
    h.fake.inject({ kind: 'delay', ms: 100, path: '/api/v2/ping', times: 1 })
    const contexts = [createExecutionContext(), createExecutionContext(), createExecutionContext()]
    const answers = await Promise.all(contexts.map((ctx) => use(h, token, ctx)))
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200])
    expect(writes()).toHaveLength(1) // the answers came first, the ping (slow) and its write after
    await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)))
    expect(pings(h)).toHaveLength(1)
    expect(pings(h)[0]!.headers['x-plex-token']).toBe(plexToken)
    expect(pings(h)[0]!.headers['x-plex-client-identifier']).toBe(
      (await storedSession(token))!.clientIdentifier,
    )
    expect(writes()).toHaveLength(2)
    expect(await storedSession(token)).toMatchObject({ lastPingAt: Date.now(), lastUsedAt: Date.now() })

    // An hour later: nothing. A day after the ping: the next one.
    later(DAY + 2 * HOUR)
    await use(h, token)
    expect(pings(h)).toHaveLength(1)
    later(2 * DAY + 2 * HOUR)
    await use(h, token)
    expect(pings(h)).toHaveLength(2)
    expect(writes()).toHaveLength(3)
    expect(sessionWrites()).toHaveLength(1)
    await expectKvClean([token, plexToken])
  })

  it('records the use of a JWT session at most once a day, without a plex.tv call', async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    const asked = h.fake.requests.length
    later(DAY + HOUR)
    await use(h, session.token)
    expect(h.fake.requests.length).toBe(asked) // no ping for a JWT: its renewal keeps it alive
    expect((await storedSession(session.token))!.lastUsedAt).toBe(Date.now())
    await expectKvClean([session.token, ...(await sealedSecrets())])
  })

  it('a ping plex.tv refuses ends the session', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    h.fake.revokeToken(plexToken)
    later(DAY + HOUR)
    // Without an execution context the ping is awaited, so this very request learns it.
    await expectProblem(await use(h, token), 401, 'plex_token_rejected')
    expect(await dumpKv()).toEqual([])
  })

  it('a failed ping keeps the session, and is tried again a minute later', async () => {
    const h = harness()
    const { token } = await h.signIn()
    later(DAY + HOUR)
    h.fake.inject({ kind: 'status', status: 503, path: '/api/v2/ping', times: 1 })
    expect((await use(h, token)).status).toBe(200)
    expect((await use(h, token)).status).toBe(200)
    expect(pings(h)).toHaveLength(1)
    later(DAY + HOUR + 61_000)
    expect((await use(h, token)).status).toBe(200)
    expect(pings(h)).toHaveLength(2)
    expect((await storedSession(token))!.lastPingAt).toBe(Date.now())
  })
})

describe('no keep-alive brings a signed-out session back', () => {
  it('a sign-out while a keep-alive of the session runs in this isolate waits for it, then deletes', async () => {
    const h = harness()
    const { token } = await h.signIn()
    later(DAY + HOUR)
    h.fake.inject({ kind: 'delay', ms: 200, path: '/api/v2/ping', times: 1 })
    const ctx = createExecutionContext()
    expect((await use(h, token, ctx)).status).toBe(200)
    expect((await h.request('/v1/sign-out', { method: 'POST', headers: bearer(token) })).status).toBe(204)
    await waitOnExecutionContext(ctx)
    expect(await dumpKv()).toEqual([])
  })

  it('a keep-alive holding a session deleted meanwhile (another request, another isolate) writes nothing', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const config = await configFor(env)
    const counted = countingKv(env.PLEX_AUTH_KV!)
    const store = createSessionStore(counted.kv, config.keyring, Date.now)
    const deps: KeepAliveDeps = {
      store,
      now: Date.now,
      plexFor: (device) => createPlex(config, h.fake.fetch, device),
    }
    const seen = (await store.reloadSession(await sha256(token)))!
    expect((await h.request('/v1/sign-out', { method: 'POST', headers: bearer(token) })).status).toBe(204)
    later(DAY + HOUR)
    expect(dueOnUse(seen, Date.now())).toBe('ping')
    expect(await keepAlive(deps, seen, dueOnUse, { used: true })).toEqual({ result: 'ended' })
    expect(countOps(counted.ops).put).toBe(0)
    expect(pings(h)).toEqual([])
    expect(await dumpKv()).toEqual([])
  })
})
