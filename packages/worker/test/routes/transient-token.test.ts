import { beforeEach, describe, expect, it } from 'vitest'
import { sha256 } from '../../src/sessions/token-crypto.ts'
import {
  bearer,
  clearKv,
  dumpKv,
  expectKvClean,
  expectProblem,
  harness,
  json,
  MAIN_SERVER_ID,
  SERVER_URL,
} from '../helpers.ts'

beforeEach(clearKv)

describe('POST /v1/transient-token', () => {
  it('gets one from PLEX_SERVER_URL with the session token, then answers it from the cache', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const first = await h.request('/v1/transient-token', json({}, bearer(token)))
    expect(first.status).toBe(200)
    const a = (await first.json()) as { token: string; expiresAt: string; cached: boolean }
    expect(a.token).toMatch(/^transient-/)
    expect(a.cached).toBe(false)
    const ttl = Date.parse(a.expiresAt) - Date.now()
    expect(ttl).toBeGreaterThan(3500_000)
    expect(ttl).toBeLessThanOrEqual(3600_000)
    const call = h.fake.requests.at(-1)!
    expect(new URL(call.url).origin).toBe(SERVER_URL)
    expect(call.headers['x-plex-token']).toBe(plexToken)
    expect(call.url).not.toContain(plexToken)

    const count = h.fake.requests.length
    const second = await h.request(
      '/v1/transient-token',
      json({ type: 'delegation', scope: 'all', server: SERVER_URL }, bearer(token)),
    )
    const b = (await second.json()) as { token: string; cached: boolean }
    expect(b).toMatchObject({ token: a.token, cached: true })
    expect(h.fake.requests.length).toBe(count)

    const entries = await expectKvClean([token, plexToken, a.token])
    const cache = entries.filter((e) => e.name.startsWith('transient:'))
    expect(cache).toHaveLength(1)
    expect(cache[0]!.name).toBe(`transient:${await sha256(token)}:${await sha256(SERVER_URL)}`)
    expect(cache[0]!.expiration! * 1000 - Date.now()).toBeLessThanOrEqual(3600_000)
  })

  it('accepts a request without a body (all fields optional)', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const res = await h.request('/v1/transient-token', { method: 'POST', headers: bearer(token) })
    expect(res.status).toBe(200)
  })

  it('fresh: true replaces the cached token', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const a = (await (await h.request('/v1/transient-token', json({}, bearer(token)))).json()) as {
      token: string
    }
    const res = await h.request('/v1/transient-token', json({ fresh: true }, bearer(token)))
    const b = (await res.json()) as { token: string; cached: boolean }
    expect(b.cached).toBe(false)
    expect(b.token).not.toBe(a.token)
    const c = (await (await h.request('/v1/transient-token', json({}, bearer(token)))).json()) as {
      token: string
    }
    expect(c.token).toBe(b.token)
  })

  it('keeps the cache per session: another session gets its own token', async () => {
    const h = harness()
    const one = await h.signIn()
    const two = await h.signIn()
    const a = (await (await h.request('/v1/transient-token', json({}, bearer(one.token)))).json()) as {
      token: string
    }
    const b = (await (await h.request('/v1/transient-token', json({}, bearer(two.token)))).json()) as {
      token: string
      cached: boolean
    }
    expect(b.cached).toBe(false)
    expect(b.token).not.toBe(a.token)
  })

  it('honours TRANSIENT_TOKEN_TTL_SECONDS', async () => {
    const h = harness({ env: { TRANSIENT_TOKEN_TTL_SECONDS: '120' } })
    const { token } = await h.signIn()
    const body = (await (await h.request('/v1/transient-token', json({}, bearer(token)))).json()) as {
      expiresAt: string
    }
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(120_000)
    const [cache] = (await dumpKv()).filter((e) => e.name.startsWith('transient:'))
    expect(cache!.expiration! - Date.now() / 1000).toBeGreaterThanOrEqual(60)
    expect(cache!.expiration! - Date.now() / 1000).toBeLessThanOrEqual(120)
  })

  it('a 403 from the server evicts the cached token', async () => {
    const h = harness()
    const { token } = await h.signIn()
    await h.request('/v1/transient-token', json({}, bearer(token)))
    h.fake.inject({
      kind: 'status',
      status: 403,
      host: MAIN_SERVER_ID,
      path: '/security/token',
      times: 1,
      body: '<html>403</html>',
      headers: { 'content-type': 'text/html' },
    })
    await expectProblem(
      await h.request('/v1/transient-token', json({ fresh: true }, bearer(token))),
      403,
      'forbidden',
    )
    expect((await dumpKv()).filter((e) => e.name.startsWith('transient:'))).toEqual([])
  })

  it('a server refusing a live account token is 403 forbidden and keeps the session', async () => {
    const h = harness()
    const { token } = await h.signIn('carol') // carol has no access to alice's server
    await expectProblem(await h.request('/v1/transient-token', json({}, bearer(token))), 403, 'forbidden')
    expect((await h.request('/v1/user', { headers: bearer(token) })).status).toBe(200)
  })

  it('a server refusing a revoked account token ends the session', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    h.fake.revokeToken(plexToken)
    await expectProblem(
      await h.request('/v1/transient-token', json({}, bearer(token))),
      401,
      'plex_token_rejected',
    )
    expect(await dumpKv()).toEqual([])
  })
})
