// readBodyText is the one way a route reads a body (readBody for JSON and forms, oidc/form.ts for OAuth):
// the 16 KB limit against lying or missing Content-Length, endless streams and split UTF-8.
import { Hono } from 'hono/tiny'
import { describe, expect, it } from 'vitest'
import { handleError } from '../../src/http/problem.ts'
import { MAX_BODY_BYTES, readBodyText } from '../../src/http/validation.ts'
import { expectProblem } from '../helpers.ts'

/** An app whose one route answers the body it read, as JSON (so a lone surrogate would show). */
function echo() {
  const app = new Hono()
  app.onError(handleError)
  app.on(['POST', 'DELETE', 'PUT'], '/', async (c) => c.json({ text: await readBodyText(c) }))
  return app
}

/** A body that arrives in these chunks; `pulled` and `cancelled` say how far the reader went. */
function chunked(chunks: Uint8Array[]) {
  const state = { pulled: 0, cancelled: false }
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = chunks[state.pulled++]
        if (next) controller.enqueue(next)
        else controller.close()
      },
      cancel() {
        state.cancelled = true
      },
    },
    { highWaterMark: 0 },
  ) // pulled only when read
  return { stream, state }
}

const bytes = (length: number, fill = 0x61) => new Uint8Array(length).fill(fill)

async function post(body: BodyInit | null, headers: Record<string, string> = {}) {
  return echo().request('/', { method: 'POST', body, headers })
}

describe('readBodyText', () => {
  it('reads exactly 16 KB, with or without Content-Length; one byte more is 413', async () => {
    for (const headers of [{}, { 'Content-Length': String(MAX_BODY_BYTES) }] as Record<string, string>[]) {
      const res = await post(bytes(MAX_BODY_BYTES), headers)
      expect(res.status).toBe(200)
      expect(((await res.json()) as { text: string }).text).toHaveLength(MAX_BODY_BYTES)
    }
    await expectProblem(await post(bytes(MAX_BODY_BYTES + 1)), 413, 'payload_too_large')
    const { stream } = chunked([bytes(MAX_BODY_BYTES), bytes(1)])
    await expectProblem(await post(stream), 413, 'payload_too_large')
  })

  it('decodes UTF-8 split across chunks, byte by byte, as one text', async () => {
    const text = 'é ü 中文 🎬 ok'
    const encoded = new TextEncoder().encode(text)
    const { stream } = chunked([...encoded].map((byte) => new Uint8Array([byte])))
    const res = await post(stream)
    expect(await res.json()).toEqual({ text })
  })

  it('counts bytes, not characters: 6000 three-byte characters are over 16 KB', async () => {
    await expectProblem(await post('中'.repeat(6000)), 413, 'payload_too_large')
    expect((await post('中'.repeat(5000))).status).toBe(200)
  })

  it('turns invalid UTF-8 into U+FFFD, never an error', async () => {
    const res = await post(new Uint8Array([0x61, 0xc3, 0x28, 0xff, 0xf0, 0x9f]))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ text: 'a\ufffd(\ufffd\ufffd' })
  })

  it('stops reading an endless body just past the limit, and cancels it', async () => {
    let pulled = 0
    let cancelled = false
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(bytes(1024))
      },
      cancel() {
        cancelled = true
      },
    })
    await expectProblem(await post(endless), 413, 'payload_too_large')
    expect(pulled).toBeLessThan(40)
    expect(cancelled).toBe(true)
  })

  it('does not trust a Content-Length smaller than the body', async () => {
    const { stream } = chunked(Array.from({ length: 20 }, () => bytes(1024)))
    await expectProblem(await post(stream, { 'Content-Length': '10' }), 413, 'payload_too_large')
  })

  it('refuses at once a Content-Length over 16 KB, however it is written, without reading', async () => {
    for (const declared of ['16385', '99999999999999999999', '1e5', '0x4001', ' 20000 ']) {
      const { stream, state } = chunked([bytes(10)])
      await expectProblem(await post(stream, { 'Content-Length': declared }), 413, 'payload_too_large')
      expect(state.pulled, declared).toBe(0)
    }
  })

  it('reads the body when Content-Length is negative, not a number or empty, and still limits it', async () => {
    for (const declared of ['-1', 'abc', '', '1,2']) {
      const small = chunked([bytes(10)])
      const res = await post(small.stream, { 'Content-Length': declared })
      expect(res.status, declared).toBe(200)
      expect(await res.json()).toEqual({ text: 'a'.repeat(10) })
      const big = chunked(Array.from({ length: 20 }, () => bytes(1024)))
      await expectProblem(await post(big.stream, { 'Content-Length': declared }), 413, 'payload_too_large')
    }
  })

  it('reads an absent or empty body as the empty text, on any method', async () => {
    expect(await (await post(null)).json()).toEqual({ text: '' })
    expect(await (await post('')).json()).toEqual({ text: '' })
    const del = await echo().request('/', { method: 'DELETE', body: 'x'.repeat(10) })
    expect(await del.json()).toEqual({ text: 'x'.repeat(10) })
    await expectProblem(
      await echo().request('/', { method: 'DELETE', body: 'x'.repeat(MAX_BODY_BYTES + 1) }),
      413,
      'payload_too_large',
    )
  })

  it('keeps concurrent requests apart: each reads its own body', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `${i}:${'é'.repeat(i * 300)}`)
    const answers = await Promise.all(
      texts.map(async (text) => {
        const encoded = new TextEncoder().encode(text)
        const { stream } = chunked([encoded.slice(0, 7), encoded.slice(7)])
        return (await (await post(stream)).json()) as { text: string }
      }),
    )
    expect(answers.map((answer) => answer.text)).toEqual(texts)
  })
})
