import { describe, expect, it } from 'vitest'
import { expectProblem, harness, TOKEN_PATTERN } from './helpers.ts'

describe('500 misconfigured', () => {
  const cases = [
    ['TOKEN_ENCRYPTION_KEYS_PREVIOUS', { TOKEN_ENCRYPTION_KEYS_PREVIOUS: 'c2hvcnQta2V5LXNlY3JldA==' }],
    ['ALLOW_HTTP_SERVERS', { ALLOW_HTTP_SERVERS: 'yes-please' }],
    ['TOKEN_ENCRYPTION_KEY', { TOKEN_ENCRYPTION_KEY: undefined }],
    ['TOKEN_ENCRYPTION_KEY (must be 32 bytes, base64)', { TOKEN_ENCRYPTION_KEY: 'c2hvcnQta2V5LXNlY3JldA==' }],
    ['PLEX_AUTH_KV', { PLEX_AUTH_KV: undefined }],
    ['PLEX_TV_URL', { PLEX_TV_URL: 'not a url' }],
    ['PLEX_SERVER_URL', { PLEX_SERVER_URL: 'ftp://x' }],
    ['ALLOWED_ORIGINS', { ALLOWED_ORIGINS: 'https://ok.example, javascript:alert(1)' }],
    ['SESSION_TTL_SECONDS', { SESSION_TTL_SECONDS: '10' }],
    ['UPSTREAM_TIMEOUT_MS', { UPSTREAM_TIMEOUT_MS: 'soon' }],
  ] as const

  for (const [name, override] of cases) {
    it(`names ${name} and never shows its value`, async () => {
      const res = await harness().request('/v1/user', {}, override)
      const body = await expectProblem(res, 500, 'misconfigured')
      expect(body.detail).toContain(name)
      for (const value of Object.values(override)) if (value) expect(body.detail).not.toContain(value)
    })
  }

  it('names everything missing at once', async () => {
    const res = await harness().request(
      '/v1/sign-in',
      { method: 'POST' },
      {
        PLEX_AUTH_KV: undefined,
        TOKEN_ENCRYPTION_KEY: undefined,
      },
    )
    const body = await expectProblem(res, 500, 'misconfigured')
    expect(body.detail).toContain('PLEX_AUTH_KV')
    expect(body.detail).toContain('TOKEN_ENCRYPTION_KEY')
  })
})

describe('defaults', () => {
  it('works with only the required settings: no PLEX_PRODUCT, PLEX_TV_URL, limiter or CORS', async () => {
    const h = harness({
      env: {
        PLEX_PRODUCT: undefined,
        PLEX_TV_URL: undefined,
        ALLOWED_ORIGINS: undefined,
        SIGN_IN_LIMITER: undefined,
      },
    })
    const { token } = await h.signIn()
    expect(token).toMatch(TOKEN_PATTERN)
    const call = h.fake.requests[0]!
    expect(call.url).toBe('https://plex.tv/api/v2/users/signin')
    expect(call.headers['x-plex-product']).toBe('plex-auth')
  })

  it('PLEX_CLIENT_IDENTIFIER is retired: not required, and a leftover value names no session', async () => {
    const h = harness({ env: { PLEX_CLIENT_IDENTIFIER: undefined } })
    await h.signIn()
    const legacy = harness({ env: { PLEX_CLIENT_IDENTIFIER: 'left-over-installation-id' } })
    await legacy.signIn()
    expect(legacy.fake.requests[0]!.headers['x-plex-client-identifier']).not.toBe('left-over-installation-id')
  })

  it('accepts a base64url key as well as base64', async () => {
    const key = 'dGVzdC1rZXktMzItYnl0ZXMtZm9yLXBsZXgtYXV0aCE'
    expect((await harness().request('/v1/health', {}, { TOKEN_ENCRYPTION_KEY: key })).status).toBe(200)
  })
})
