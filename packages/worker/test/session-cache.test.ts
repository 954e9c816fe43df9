// The isolate's short cache of session reads (SESSION_CACHE_SECONDS): what it saves and what it costs.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { sha256 } from '../src/sessions/token-crypto.ts'
import { expectProblem, harness } from './helpers.ts'

/** Deletes a session's KV entry behind the worker's back, as a sign-out in another isolate would. */
async function deleteInAnotherIsolate(sessionToken: string): Promise<void> {
  await env.PLEX_AUTH_KV.delete(`session:${await sha256(sessionToken)}`)
}

describe('session reads cache', () => {
  it('serves a session read in the last 10 s from memory, then asks KV again', async () => {
    let clock = Date.now()
    const h = harness({ now: () => clock })
    const { token } = await h.signIn()
    const auth = { headers: { Authorization: `Bearer ${token}` } }
    expect((await h.request('/v1/user', auth)).status).toBe(200)

    await deleteInAnotherIsolate(token)
    // Within the default 10 s this isolate still knows the session (shorter than KV's own 60 s spread).
    clock += 9_000
    expect((await h.request('/v1/user', auth)).status).toBe(200)
    clock += 2_000
    await expectProblem(await h.request('/v1/user', auth), 401, 'unauthenticated')
  })

  it('forgets a session at once when it is signed out in this isolate', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const auth = { headers: { Authorization: `Bearer ${token}` } }
    expect((await h.request('/v1/user', auth)).status).toBe(200)
    expect((await h.request('/v1/sign-out', { method: 'POST', ...auth })).status).toBe(204)
    await expectProblem(await h.request('/v1/user', auth), 401, 'unauthenticated')
  })

  it('reads KV every time with SESSION_CACHE_SECONDS=0', async () => {
    const h = harness({ env: { SESSION_CACHE_SECONDS: '0' } })
    const { token } = await h.signIn()
    const auth = { headers: { Authorization: `Bearer ${token}` } }
    expect((await h.request('/v1/user', auth)).status).toBe(200)
    await deleteInAnotherIsolate(token)
    await expectProblem(await h.request('/v1/user', auth), 401, 'unauthenticated')
  })

  it('refuses a cache longer than 60 s as misconfigured, naming the setting', async () => {
    const h = harness({ env: { SESSION_CACHE_SECONDS: '3600' } })
    const body = await expectProblem(await h.request('/v1/user'), 500, 'misconfigured')
    expect(body.detail).toContain('SESSION_CACHE_SECONDS')
  })
})
