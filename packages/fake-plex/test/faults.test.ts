import { describe, expect, it } from 'vitest'
import { ALICE_TOKEN, plexHeaders, setup } from './helpers.ts'

const USER = 'https://plex.tv/api/v2/user'
const headers = plexHeaders({ 'x-plex-token': ALICE_TOKEN })

describe('fault injection', () => {
  it("'status' answers the given status, body and headers, 'times' times", async () => {
    const { fake } = setup()
    fake.inject({
      kind: 'status',
      status: 503,
      body: '<html>Service Unavailable</html>',
      headers: { 'content-type': 'text/html', 'retry-after': '2' },
      times: 2,
    })
    for (let i = 0; i < 2; i++) {
      const res = await fake.fetch(USER, { headers })
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('2')
      expect(await res.text()).toBe('<html>Service Unavailable</html>')
    }
    expect((await fake.fetch(USER, { headers })).status).toBe(200)
  })

  it("'status' with an object body answers JSON", async () => {
    const { fake } = setup()
    fake.inject({ kind: 'status', status: 500, body: { errors: [{ message: 'boom' }] } })
    const res = await fake.fetch(USER, { headers })
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({ errors: [{ message: 'boom' }] })
  })

  it("'status' lets a server answer a hostile 1.1 MB text/xml body with any status, also over /__fake/faults", async () => {
    const { fake, cabin } = setup()
    const huge = `<?xml version="1.0"?><MediaContainer>${'x'.repeat(1.1 * 1024 * 1024)}</MediaContainer>`
    fake.inject({
      kind: 'status',
      status: 200,
      host: cabin.id,
      path: '/security/token',
      body: huge,
      headers: { 'content-type': 'text/xml' },
      times: 1,
    })
    const res = await fake.fetch(`${cabin.url}/security/token?type=delegation&scope=all`, { headers })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/xml')
    expect(await res.text()).toBe(huge)

    const injected = await fake.fetch('https://plex.tv/__fake/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'status',
        status: 502,
        host: 'plex.tv',
        body: huge,
        headers: { 'content-type': 'text/xml' },
        times: 1,
      }),
    })
    expect(injected.status).toBe(204)
    const fromPlexTv = await fake.fetch(USER, { headers })
    expect(fromPlexTv.status).toBe(502)
    expect(fromPlexTv.headers.get('content-type')).toBe('text/xml')
    expect((await fromPlexTv.text()).length).toBe(huge.length)
  })

  it("'network' rejects with TypeError('fetch failed')", async () => {
    const { fake } = setup()
    fake.inject({ kind: 'network', times: 1 })
    const error = await fake.fetch(USER, { headers }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as TypeError).message).toBe('fetch failed')
    expect((await fake.fetch(USER, { headers })).status).toBe(200)
  })

  it("'garbage' answers 200 with a body that is not JSON", async () => {
    const { fake } = setup()
    fake.inject({ kind: 'garbage' })
    const res = await fake.fetch(USER, { headers })
    expect(res.status).toBe(200)
    await expect(res.json()).rejects.toThrow(SyntaxError)
  })

  it("'delay' waits, then answers normally; an abort during the wait rejects with the signal's reason", async () => {
    const { fake } = setup()
    fake.inject({ kind: 'delay', ms: 50 })
    const started = performance.now()
    expect((await fake.fetch(USER, { headers })).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(45)

    fake.inject({ kind: 'delay', ms: 10_000 })
    const controller = new AbortController()
    const pending = fake.fetch(USER, { headers, signal: controller.signal })
    setTimeout(() => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')), 10)
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' })
  })

  it('matches on host, method and exact path', async () => {
    const { fake, main, cabin } = setup()
    fake.inject({ kind: 'status', status: 502, host: main.id, path: '/identity', method: 'GET' })
    expect((await fake.fetch(`${main.url}/identity`)).status).toBe(502)
    expect((await fake.fetch(`${main.url}/identity`, { method: 'POST' })).status).toBe(404)
    expect((await fake.fetch(`${cabin.url}/identity`)).status).toBe(200)
    expect((await fake.fetch(`${main.url}/identity/`)).status).not.toBe(502)

    fake.inject({ kind: 'status', status: 500, host: 'plex.tv' })
    expect((await fake.fetch(USER, { headers })).status).toBe(500)
    expect((await fake.fetch(`${cabin.url}/identity`)).status).toBe(200)
  })

  it('clearFaults removes every fault, and control routes are never faulted', async () => {
    const { fake } = setup()
    fake.inject({ kind: 'network' })
    const cleared = await fake.fetch('https://plex.tv/__fake/faults', { method: 'DELETE' })
    expect(cleared.status).toBe(204)
    expect((await fake.fetch(USER, { headers })).status).toBe(200)
    fake.inject({ kind: 'network' })
    fake.clearFaults()
    expect((await fake.fetch(USER, { headers })).status).toBe(200)
  })
})
