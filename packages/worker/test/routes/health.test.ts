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
