import { describe, expect, it } from 'vitest'
import { getTokenDetails, type PlexRetryInfo } from '../src/index.ts'
import { plexErrorOf, setup } from './helpers.ts'

describe('request headers', () => {
  it('sends every X-Plex-* header given, a UTF-8 device name as its bytes, and extra headers', async () => {
    const { fake, options, alice } = setup()
    await getTokenDetails({
      ...options,
      token: alice.token,
      version: '1.2.3',
      platform: 'Node',
      platformVersion: '20',
      device: 'Server',
      deviceName: 'Küche',
      model: 'x86',
      headers: { 'X-Plex-Language': 'de', Accept: 'text/xml', 'X-Plex-Token': 'overridden' },
    })
    expect(fake.requests[0]?.headers).toEqual({
      accept: 'application/json',
      'x-plex-client-identifier': options.clientIdentifier,
      'x-plex-product': options.product,
      'x-plex-version': '1.2.3',
      'x-plex-platform': 'Node',
      'x-plex-platform-version': '20',
      'x-plex-device': 'Server',
      'x-plex-device-name': String.fromCharCode(...new TextEncoder().encode('Küche')),
      'x-plex-model': 'x86',
      'x-plex-language': 'de',
      'x-plex-token': alice.token,
    })
  })

  it('refuses header values that could split headers, before any request', async () => {
    const { fake, options, alice } = setup()
    await plexErrorOf(
      getTokenDetails({ ...options, token: alice.token, product: 'a\r\nX-Evil: 1' }),
      'invalid_input',
    )
    await plexErrorOf(getTokenDetails({ ...options, token: 'abc\ndef' }), 'invalid_input')
    expect(fake.requests).toHaveLength(0)
  })

  it('never follows redirects (a custom header would travel to the new host): 3xx is invalid_response', async () => {
    const inits: RequestInit[] = []
    const fetch = async (_url: string, init: RequestInit): Promise<Response> => {
      inits.push(init)
      return new Response(null, { status: 302, headers: { location: 'https://evil.example/' } })
    }
    await plexErrorOf(getTokenDetails({ clientIdentifier: 'c', token: 't', fetch }), 'invalid_response')
    expect(inits[0]?.redirect).toBe('manual')
  })
})

describe('retries (GET only)', () => {
  const quick = { minDelayMs: 0, maxDelayMs: 0 }

  it('retries network errors, 429, 502, 503 and 504 up to `retries` times (default 2)', async () => {
    for (const fault of [
      { kind: 'network' as const },
      { kind: 'status' as const, status: 429 },
      { kind: 'status' as const, status: 502 },
      { kind: 'status' as const, status: 503 },
      { kind: 'status' as const, status: 504 },
    ]) {
      const { fake, options, alice } = setup()
      fake.inject({ ...fault, times: 2 })
      await expect(getTokenDetails({ ...options, token: alice.token, retry: quick })).resolves.toBeDefined()
      expect(fake.requests).toHaveLength(3)

      fake.reset()
      fake.inject(fault)
      const error = await plexErrorOf(getTokenDetails({ ...options, token: alice.token, retry: quick }))
      expect(error.code).toBe(
        fault.kind === 'network' ? 'network_error' : fault.status === 429 ? 'rate_limited' : 'upstream_error',
      )
      expect(fake.requests).toHaveLength(3)
    }
  })

  it('does not retry other statuses, nor anything with retry: false or retries: 0', async () => {
    for (const status of [400, 401, 403, 404, 500]) {
      const { fake, options, alice } = setup()
      fake.inject({ kind: 'status', status })
      await plexErrorOf(getTokenDetails({ ...options, token: alice.token, retry: quick }))
      expect(fake.requests).toHaveLength(1)
    }
    for (const retry of [false as const, { retries: 0 }]) {
      const { fake, options, alice } = setup()
      fake.inject({ kind: 'network' })
      await plexErrorOf(getTokenDetails({ ...options, token: alice.token, retry }), 'network_error')
      expect(fake.requests).toHaveLength(1)
    }
  })

  it('waits a capped exponential backoff with full jitter', async () => {
    const { fake, options, alice } = setup()
    fake.inject({ kind: 'network' })
    const retries: PlexRetryInfo[] = []
    const retry = {
      retries: 4,
      minDelayMs: 2,
      maxDelayMs: 5,
      onRetry: (info: PlexRetryInfo) => retries.push(info),
    }
    await plexErrorOf(getTokenDetails({ ...options, token: alice.token, retry }), 'network_error')
    expect(fake.requests).toHaveLength(5)
    expect(retries.map((info) => info.attempt)).toEqual([1, 2, 3, 4])
    const caps = [2, 4, 5, 5]
    retries.forEach((info, index) => {
      expect(info.error.code).toBe('network_error')
      expect(info.delayMs).toBeGreaterThanOrEqual(0)
      expect(info.delayMs).toBeLessThanOrEqual(caps[index] ?? 0)
    })
  })

  it('honours Retry-After in seconds up to maxRetryAfterMs', async () => {
    const { fake, options, alice } = setup()
    fake.inject({ kind: 'status', status: 429, headers: { 'retry-after': '1' }, times: 1 })
    const delays: number[] = []
    const started = Date.now()
    const retry = { maxRetryAfterMs: 1500, onRetry: (info: PlexRetryInfo) => delays.push(info.delayMs) }
    await expect(getTokenDetails({ ...options, token: alice.token, retry })).resolves.toBeDefined()
    expect(delays).toEqual([1000])
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
  })

  it('gives up at once, rate_limited with retryAfter, when Retry-After exceeds the cap', async () => {
    const { fake, options, alice } = setup()
    fake.inject({ kind: 'status', status: 429, headers: { 'retry-after': '120' } })
    const error = await plexErrorOf(
      getTokenDetails({ ...options, token: alice.token, retry: { maxRetryAfterMs: 5000 } }),
      'rate_limited',
    )
    expect(error.retryAfter).toBe(120)
    expect(fake.requests).toHaveLength(1)
  })

  it('honours Retry-After on 503 too: a wait beyond the cap ends the retries at once', async () => {
    const { fake, options, alice } = setup()
    fake.inject({ kind: 'status', status: 503, headers: { 'retry-after': '120' } })
    const error = await plexErrorOf(
      getTokenDetails({ ...options, token: alice.token, retry: { minDelayMs: 0, maxDelayMs: 0 } }),
      'upstream_error',
    )
    expect(error.status).toBe(503)
    expect(fake.requests).toHaveLength(1)
  })

  it('reads Retry-After as an HTTP date too', async () => {
    const { fake, options, alice } = setup()
    const past = new Date(Date.now() - 60_000).toUTCString()
    fake.inject({ kind: 'status', status: 503, headers: { 'retry-after': past }, times: 1 })
    await expect(getTokenDetails({ ...options, token: alice.token })).resolves.toBeDefined()
    expect(fake.requests).toHaveLength(2)

    const later = new Date(Date.now() + 3_600_000).toUTCString()
    fake.inject({ kind: 'status', status: 429, headers: { 'retry-after': later } })
    const error = await plexErrorOf(getTokenDetails({ ...options, token: alice.token }), 'rate_limited')
    expect(error.retryAfter).toBeGreaterThan(3590)
    expect(error.retryAfter).toBeLessThanOrEqual(3600)
  })
})

describe('timeout and abort', () => {
  it('times out each attempt after timeoutMs, retrying GETs', async () => {
    const { fake, options, alice } = setup()
    fake.inject({ kind: 'delay', ms: 5000 })
    const started = Date.now()
    const error = await plexErrorOf(
      getTokenDetails({
        ...options,
        token: alice.token,
        timeoutMs: 20,
        retry: { retries: 1, maxDelayMs: 1 },
      }),
      'timeout',
    )
    expect(error.message).toContain('20 ms')
    expect(fake.requests).toHaveLength(2)
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('times out even with a fetch that ignores the signal', async () => {
    const fetch = (): Promise<Response> => new Promise<Response>(() => {})
    await plexErrorOf(
      getTokenDetails({ clientIdentifier: 'c', token: 't', fetch, timeoutMs: 10, retry: false }),
      'timeout',
    )
  })

  it("aborted (not timeout) when the caller's signal fires, and no retry after it", async () => {
    const { fake, options, alice } = setup()
    fake.inject({ kind: 'delay', ms: 5000 })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 10)
    const error = await plexErrorOf(
      getTokenDetails({ ...options, token: alice.token, signal: controller.signal, timeoutMs: 2000 }),
      'aborted',
    )
    expect(fake.requests).toHaveLength(1)
    expect(error.status).toBeUndefined()
  })

  it('aborted before any request when the signal has already fired', async () => {
    const { fake, options, alice } = setup()
    await plexErrorOf(
      getTokenDetails({ ...options, token: alice.token, signal: AbortSignal.abort() }),
      'aborted',
    )
    expect(fake.requests).toHaveLength(0)
  })

  it('aborted during the wait between retries', async () => {
    const { fake, options, alice } = setup()
    fake.inject({ kind: 'network' })
    const controller = new AbortController()
    const retry = { minDelayMs: 10_000, maxDelayMs: 10_000, onRetry: () => controller.abort() }
    const started = Date.now()
    await plexErrorOf(
      getTokenDetails({ ...options, token: alice.token, signal: controller.signal, retry }),
      'aborted',
    )
    expect(fake.requests).toHaveLength(1)
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
