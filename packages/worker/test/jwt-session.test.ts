import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { generateDeviceKey, registerDeviceKey } from '@plex-auth/core'
import { describe, expect, it } from 'vitest'
import { configFor } from '../src/config.ts'
import { createPlex } from '../src/plex/plex.ts'
import { jwtExpiresAt } from '../src/sessions/jwt-session.ts'
import { dueOnUse, type KeepAliveDeps, keepAlive } from '../src/sessions/keep-alive.ts'
import { createSessionStore } from '../src/sessions/session-store.ts'
import { sha256 } from '../src/sessions/token-crypto.ts'
import {
  ALICE_TOKEN,
  bearer,
  dumpKv,
  expectKvClean,
  expectProblem,
  type Harness,
  harness,
} from './helpers.ts'
import {
  DAY,
  HOUR,
  JWT_SESSIONS,
  pinSignIn,
  sealedSecrets,
  storedSession,
  useFakeClock,
} from './session-helpers.ts'

/*
 * Plex JWT sessions in workerd with real KV: renewal before expiry (after the answer), never twice at
 * once, after expiry, and the end of a session whose key plex.tv no longer knows. The clock is faked
 * (Date only) for the worker, the core and the fake Plex alike, as days pass.
 */

const { later } = useFakeClock()
const renewals = (h: Harness) => h.fake.requests.filter((r) => r.url.endsWith('/api/v2/auth/token'))
const userCalls = (h: Harness) => h.fake.requests.filter((r) => r.url === 'https://plex.tv/api/v2/user')

describe('a Plex JWT session', () => {
  it('is renewed once less than a day is left, after the answer (waitUntil), with the same key', async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    const before = (await storedSession(session.token))!
    const first = before.jwt as { expiresAt: number; deviceKey: { kid: string } }
    expect(first.expiresAt).toBe(jwtExpiresAt(session.plexToken))

    // Six days on: more than a day left, nothing to do.
    later(6 * DAY - HOUR)
    expect((await h.request('/v1/user', { headers: bearer(session.token) })).status).toBe(200)
    expect(renewals(h)).toEqual([])

    // Less than a day left: the answer comes first, with the JWT it has; the renewal after it.
    later(6 * DAY + HOUR)
    h.fake.inject({ kind: 'delay', ms: 300, path: '/api/v2/auth/nonce', times: 1 })
    const ctx = createExecutionContext()
    const res = await h.request('/v1/user', { headers: bearer(session.token) }, {}, ctx)
    expect(res.status).toBe(200)
    expect(userCalls(h).at(-1)!.headers['x-plex-token']).toBe(session.plexToken)
    expect((await storedSession(session.token))!.plexToken).toBe(session.plexToken)
    expect(renewals(h)).toEqual([])
    await waitOnExecutionContext(ctx)

    expect(renewals(h)).toHaveLength(1)
    const after = (await storedSession(session.token))!
    const renewed = after.plexToken as string
    expect(renewed).not.toBe(session.plexToken)
    expect(after.jwt).toEqual({ deviceKey: first.deviceKey, expiresAt: jwtExpiresAt(renewed) })
    expect(jwtExpiresAt(renewed)).toBeGreaterThan(Date.now() + 6.9 * DAY)
    expect(after.lastUsedAt).toBe(Date.now())
    // Everything else of the session is as it was: same id, device, expiry.
    for (const field of ['id', 'clientIdentifier', 'expiresAt', 'createdAt', 'accountUuid'])
      expect(after[field], field).toEqual(before[field])
    // The renewal proved the key as the session's device.
    expect(renewals(h)[0]!.headers['x-plex-client-identifier']).toBe(session.clientIdentifier)

    // The next use carries the new JWT and renews nothing.
    expect((await h.request('/v1/user', { headers: bearer(session.token) })).status).toBe(200)
    expect(userCalls(h).at(-1)!.headers['x-plex-token']).toBe(renewed)
    expect(renewals(h)).toHaveLength(1)
    await expectKvClean([session.token, session.plexToken, ...(await sealedSecrets())])
  })

  it('is never renewed twice at once: concurrent requests share one renewal', async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    later(6 * DAY + HOUR)
    h.fake.inject({ kind: 'delay', ms: 200, path: '/api/v2/auth/nonce', times: 1 })
    const contexts = Array.from({ length: 5 }, () => createExecutionContext())
    const answers = await Promise.all(
      contexts.map((ctx) => h.request('/v1/user', { headers: bearer(session.token) }, {}, ctx)),
    )
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)))
    expect(renewals(h)).toHaveLength(1)
    expect(h.fake.requests.filter((r) => r.url.endsWith('/api/v2/auth/nonce'))).toHaveLength(1)
  })

  it('is not renewed again by an isolate whose view predates the renewal (KV is read again first)', async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    const config = await configFor(env)
    const store = createSessionStore(env.PLEX_AUTH_KV!, config.keyring, Date.now)
    const deps: KeepAliveDeps = {
      store,
      now: Date.now,
      plexFor: (device) => createPlex(config, h.fake.fetch, device),
    }
    const stale = (await store.reloadSession(await sha256(session.token)))!
    later(6 * DAY + HOUR)
    expect(dueOnUse(stale, Date.now())).toBe('refresh')

    // This isolate renews...
    expect((await keepAlive(deps, stale, dueOnUse, { used: true })).result).toBe('done')
    const renewed = (await storedSession(session.token))!.plexToken
    // ...another one, still holding the session as it was, reads KV before asking plex.tv: nothing is due.
    expect(await keepAlive(deps, stale, dueOnUse, { used: true })).toMatchObject({ result: 'skipped' })
    expect(renewals(h)).toHaveLength(1)

    // And one that asked plex.tv before the first renewal landed does not overwrite it: it is written only
    // where the session still holds the JWT it renewed.
    const raced = await keepAlive(deps, stale, dueOnUse, { used: true, fresh: true })
    expect(renewals(h)).toHaveLength(2)
    expect(raced.result).toBe('skipped')
    expect((await storedSession(session.token))!.plexToken).toBe(renewed)
  })

  it('is renewed after its JWT expired, before the request goes on', async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    later(8 * DAY)
    // plex.tv answers the expired JWT with 498.
    const direct = await h.fake.fetch('https://plex.tv/api/v2/user', {
      headers: {
        accept: 'application/json',
        'x-plex-client-identifier': 'x',
        'x-plex-token': session.plexToken,
      },
    })
    expect(direct.status).toBe(498)
    const ctx = createExecutionContext()
    const res = await h.request('/v1/user', { headers: bearer(session.token) }, {}, ctx)
    expect(res.status, await res.clone().text()).toBe(200)
    expect(renewals(h)).toHaveLength(1)
    const renewed = (await storedSession(session.token))!.plexToken
    expect(userCalls(h).at(-1)!.headers['x-plex-token']).toBe(renewed)
    await waitOnExecutionContext(ctx)
    expect(renewals(h)).toHaveLength(1)
  })

  it('keeps its JWT when plex.tv cannot be reached, and tries again a minute later', async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    later(6 * DAY + HOUR)
    h.fake.inject({ kind: 'network', path: '/api/v2/auth/nonce' })
    expect((await h.request('/v1/user', { headers: bearer(session.token) })).status).toBe(200)
    expect((await storedSession(session.token))!.plexToken).toBe(session.plexToken)
    const asked = h.fake.requests.length
    expect((await h.request('/v1/user', { headers: bearer(session.token) })).status).toBe(200)
    expect(h.fake.requests.filter((r) => r.url.endsWith('/auth/nonce'))).toHaveLength(
      h.fake.requests.slice(0, asked).filter((r) => r.url.endsWith('/auth/nonce')).length,
    )
    h.fake.clearFaults()
    later(6 * DAY + HOUR + 61_000)
    expect((await h.request('/v1/user', { headers: bearer(session.token) })).status).toBe(200)
    expect(renewals(h)).toHaveLength(1)
    expect((await storedSession(session.token))!.plexToken).not.toBe(session.plexToken)
  })

  it('ends when plex.tv no longer knows its key (retired), like a revoked token', async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    // The device's key is replaced at plex.tv (as when the device is re-registered elsewhere).
    await registerDeviceKey({
      clientIdentifier: session.clientIdentifier,
      product: 'plex-auth',
      token: ALICE_TOKEN,
      deviceKey: await generateDeviceKey(),
      fetch: h.fake.fetch,
    })
    later(6 * DAY + HOUR)
    const ctx = createExecutionContext()
    // The answer comes with the JWT it has (still valid); the renewal after it learns the key is gone.
    expect((await h.request('/v1/user', { headers: bearer(session.token) }, {}, ctx)).status).toBe(200)
    await waitOnExecutionContext(ctx)
    const refused = renewals(h)
    expect(refused).toHaveLength(1)
    expect(await dumpKv()).toEqual([])
    await expectProblem(
      await h.request('/v1/user', { headers: bearer(session.token) }),
      401,
      'unauthenticated',
    )
  })

  it('ends at once when its JWT expired and plex.tv refuses the key: 401 plex_token_rejected', async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    await registerDeviceKey({
      clientIdentifier: session.clientIdentifier,
      token: ALICE_TOKEN,
      deviceKey: await generateDeviceKey(),
      fetch: h.fake.fetch,
    })
    later(8 * DAY)
    const res = await h.request('/v1/sessions', {
      headers: { Cookie: `__Host-plex_session=${session.token}` },
    })
    await expectProblem(res, 401, 'plex_token_rejected')
    expect(res.headers.get('Set-Cookie')).toMatch(/^__Host-plex_session=; Max-Age=0/)
    expect(await dumpKv()).toEqual([])
  })

  it('is not renewed by sign-out (which revokes the JWT it has)', async () => {
    const h = harness(JWT_SESSIONS)
    const session = await pinSignIn(h)
    later(6 * DAY + HOUR)
    const ctx = createExecutionContext()
    const res = await h.request('/v1/sign-out', { method: 'POST', headers: bearer(session.token) }, {}, ctx)
    expect(res.status).toBe(204)
    await waitOnExecutionContext(ctx)
    expect(renewals(h)).toEqual([])
    expect(h.fake.devices('alice')).toEqual([])
    expect(await dumpKv()).toEqual([])
  })
})
