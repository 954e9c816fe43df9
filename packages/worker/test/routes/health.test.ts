import { beforeEach, describe, expect, it } from 'vitest'
import { clearKv, harness } from '../helpers.ts'

beforeEach(clearKv)

describe('GET /v1/health', () => {
  it('answers ok, no-store, with secure headers', async () => {
    const res = await harness().request('/v1/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(res.headers.get('Strict-Transport-Security')).toMatch(/max-age=\d+/)
    expect(res.headers.get('X-Frame-Options')).toBe('SAMEORIGIN')
  })

  it('answers HEAD like GET, without a body', async () => {
    const res = await harness().request('/v1/health', { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })
})

describe('GET /v1/health on an incomplete configuration', () => {
  it('answers 503 in its own shape, naming the missing key and how to make one', async () => {
    const res = await harness().request('/v1/health', {}, { TOKEN_ENCRYPTION_KEY: undefined })
    expect(res.status).toBe(503)
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const body = (await res.json()) as Record<string, string>
    expect(body.status).toBe('misconfigured')
    expect(body.detail).toBe('The worker is misconfigured: missing TOKEN_ENCRYPTION_KEY.')
    expect(body.fix).toContain('npm run deploy')
    expect(body.fix).toContain('openssl rand -base64 32 | npx wrangler secret put TOKEN_ENCRYPTION_KEY')
  })

  it('names an invalid setting without showing its value, and gives no key advice it does not need', async () => {
    const secret = 'https://user:hunter2@bad host'
    const res = await harness().request('/v1/health', {}, { PLEX_TV_URL: secret })
    expect(res.status).toBe(503)
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({
      status: 'misconfigured',
      detail: 'The worker is misconfigured: invalid PLEX_TV_URL.',
    })
    expect(text).not.toContain('hunter2')
  })

  it('every other route still fails with the 500 misconfigured problem', async () => {
    const res = await harness().request('/v1/user', {}, { TOKEN_ENCRYPTION_KEY: undefined })
    expect(res.status).toBe(500)
    expect(((await res.json()) as { code: string }).code).toBe('misconfigured')
  })
})
