import { describe, expect, it } from 'vitest'
import { getTokenDetails, type PlexRetryInfo } from '../src/index.ts'
import { plexErrorOf, setup } from './helpers.ts'

const KIB = 1024
const encoder = new TextEncoder()

/** Alice's account as plex.tv sends it, from the fake. */
async function accountJson(): Promise<string> {
  const { fake, alice } = setup()
  const response = await fake.fetch('https://plex.tv/api/v2/user', {
    headers: { accept: 'application/json', 'x-plex-client-identifier': 'c', 'x-plex-token': alice.token },
  })
  return response.text()
}

/** JSON padded with trailing spaces (still valid JSON) to exactly `bytes` bytes of UTF-8. */
function padded(json: string, bytes: number): string {
  return json + ' '.repeat(bytes - encoder.encode(json).length)
}

/**
 * A body streamed `chunkBytes` at a time, with no Content-Length; `endless` sends spaces after `text`
 * forever. Counts what the reader pulled and whether it cancelled. Nothing is pulled before a read.
 */
function streamed(text: string, { chunkBytes = 4 * KIB, endless = false } = {}) {
  const bytes = encoder.encode(text)
  const probe = { pulls: 0, cancelled: false }
  let offset = 0
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        probe.pulls++
        if (offset < bytes.length) {
          controller.enqueue(bytes.slice(offset, offset + chunkBytes))
          offset += chunkBytes
        } else if (endless) {
          controller.enqueue(new Uint8Array(chunkBytes).fill(0x20))
        } else {
          controller.close()
        }
      },
      cancel() {
        probe.cancelled = true
      },
    },
    { highWaterMark: 0 },
  )
  return { body, probe }
}

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }

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

describe('answer size (maxResponseBytes, default 64 KiB)', () => {
  it('reads an answer of exactly 64 KiB; one byte more is invalid_response and the stream is cancelled', async () => {
    const json = await accountJson()
    const exact = streamed(padded(json, 64 * KIB))
    const fetchExact = async (): Promise<Response> => new Response(exact.body, { headers: JSON_TYPE })
    const account = await getTokenDetails({ clientIdentifier: 'c', token: 't', fetch: fetchExact })
    expect(account.username).toBe('alice')
    expect(exact.probe.cancelled).toBe(false)

    const over = streamed(padded(json, 64 * KIB + 1))
    const fetchOver = async (): Promise<Response> => new Response(over.body, { headers: JSON_TYPE })
    const error = await plexErrorOf(
      getTokenDetails({ clientIdentifier: 'c', token: 't', fetch: fetchOver }),
      'invalid_response',
    )
    expect(error.message).toBe('GET /api/v2/user: the answer is larger than 65536 bytes')
    expect(error.status).toBe(200)
    expect(error.response?.status).toBe(200)
    expect(Object.keys(error)).not.toContain('response')
    expect(over.probe.cancelled).toBe(true)
  })

  it('stops pulling an endless answer just past the limit and cancels it', async () => {
    const { body, probe } = streamed('', { endless: true })
    const fetch = async (): Promise<Response> => new Response(body, { headers: JSON_TYPE })
    await plexErrorOf(
      getTokenDetails({ clientIdentifier: 'c', token: 't', fetch, retry: false }),
      'invalid_response',
    )
    expect(probe.cancelled).toBe(true)
    // 16 chunks of 4 KiB make the limit; the 17th is over it.
    expect(probe.pulls).toBe(17)
  })

  it('fails a declared Content-Length over the limit without reading a byte', async () => {
    const { body, probe } = streamed('', { endless: true })
    const headers = { ...JSON_TYPE, 'content-length': String(1024 * KIB) }
    const fetch = async (): Promise<Response> => new Response(body, { headers })
    const error = await plexErrorOf(
      getTokenDetails({ clientIdentifier: 'c', token: 't', fetch, retry: false }),
      'invalid_response',
    )
    expect(error.message).toContain('larger than 65536 bytes')
    expect(probe.pulls).toBe(0)
    expect(probe.cancelled).toBe(true)
  })

  it('bounds error answers too: a 401 with a megabyte of XML is invalid_response, not read whole', async () => {
    const xml = `<errors>${'<error code="1001" message="User could not be authenticated"/>'.repeat(20_000)}</errors>`
    expect(xml.length).toBeGreaterThan(1024 * KIB)
    const { body, probe } = streamed(xml)
    const fetch = async (): Promise<Response> =>
      new Response(body, { status: 401, headers: { 'content-type': 'application/xml' } })
    const error = await plexErrorOf(
      getTokenDetails({ clientIdentifier: 'c', token: 't', fetch }),
      'invalid_response',
    )
    expect(error.status).toBe(401)
    expect(probe.pulls).toBe(17)
    expect(probe.cancelled).toBe(true)

    // No body at all reads as an empty one.
    const empty = async (): Promise<Response> => new Response(null, { status: 401 })
    await plexErrorOf(getTokenDetails({ clientIdentifier: 'c', token: 't', fetch: empty }), 'unauthorized')
  })

  it('never retries an oversized answer, not even a 503', async () => {
    let calls = 0
    const fetch = async (): Promise<Response> => {
      calls++
      return new Response(streamed('', { endless: true }).body, { status: 503 })
    }
    const error = await plexErrorOf(
      getTokenDetails({ clientIdentifier: 'c', token: 't', fetch, retry: { minDelayMs: 0, maxDelayMs: 0 } }),
      'invalid_response',
    )
    expect(error.status).toBe(503)
    expect(calls).toBe(1)
  })

  it('takes maxResponseBytes; a value that is not a positive finite number means the default', async () => {
    const json = await accountJson()
    const call = (text: string, maxResponseBytes: number) =>
      getTokenDetails({
        clientIdentifier: 'c',
        token: 't',
        retry: false,
        maxResponseBytes,
        fetch: async () => new Response(streamed(text).body, { headers: JSON_TYPE }),
      })
    const small = await plexErrorOf(call(json, 1000), 'invalid_response')
    expect(small.message).toContain('larger than 1000 bytes')
    await expect(call(padded(json, 100 * KIB), 200 * KIB)).resolves.toMatchObject({ username: 'alice' })
    for (const fallback of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(call(padded(json, 64 * KIB), fallback)).resolves.toMatchObject({ username: 'alice' })
      const error = await plexErrorOf(call(padded(json, 64 * KIB + 1), fallback), 'invalid_response')
      expect(error.message).toContain('larger than 65536 bytes')
    }
  })

  it('decodes UTF-8 split across chunks', async () => {
    const account = { ...JSON.parse(await accountJson()), title: 'Küche 🎬 日本' }
    const { body } = streamed(JSON.stringify(account), { chunkBytes: 1 })
    const fetch = async (): Promise<Response> => new Response(body, { headers: JSON_TYPE })
    const result = await getTokenDetails({ clientIdentifier: 'c', token: 't', fetch })
    expect(result.title).toBe('Küche 🎬 日本')
  })

  it('times out a body that stalls after its first chunk, and cancels it', async () => {
    const probe = { cancelled: false }
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('{"id":'))
      },
      cancel() {
        probe.cancelled = true
      },
    })
    // A fetch that ignores the signal: only our own race can end the read.
    const fetch = async (): Promise<Response> => new Response(body, { headers: JSON_TYPE })
    await plexErrorOf(
      getTokenDetails({ clientIdentifier: 'c', token: 't', fetch, timeoutMs: 20, retry: false }),
      'timeout',
    )
    expect(probe.cancelled).toBe(true)
  })
})
