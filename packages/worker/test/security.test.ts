import { beforeEach, describe, expect, it } from 'vitest'
import {
  ALLOWED_ORIGIN,
  bearer,
  clearKv,
  expectKvClean,
  expectProblem,
  harness,
  json,
  MAIN_SERVER_ID,
} from './helpers.ts'

beforeEach(clearKv)

describe('CORS', () => {
  it('answers a preflight from an allowed origin, with credentials', async () => {
    const res = await harness().request('/v1/transient-token', {
      method: 'OPTIONS',
      headers: {
        Origin: ALLOWED_ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(ALLOWED_ORIGIN)
    expect(res.headers.get('Access-Control-Allow-Credentials')).toBe('true')
    expect(res.headers.get('Access-Control-Allow-Methods')).toBe('POST')
    expect(res.headers.get('Access-Control-Allow-Headers')).toMatch(/Authorization.*Content-Type/)
    expect(res.headers.get('Vary')).toContain('Origin')
  })

  it('refuses a preflight from any other origin, without Access-Control headers', async () => {
    const h = harness()
    for (const origin of [
      'https://evil.example',
      'https://app.example.evil.example',
      'http://app.example',
      'null',
    ]) {
      const res = await h.request('/v1/sign-in', {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      })
      expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull()
      expect(res.headers.get('Access-Control-Allow-Credentials')).toBeNull()
      // The answer depends on Origin: a cache must not hand it to an allowed origin.
      expect(res.headers.get('Vary')).toBe('Origin')
      await expectProblem(res, 403, 'origin_not_allowed')
    }
  })

  it('a preflight for an unknown path is 404', async () => {
    const res = await harness().request('/v1/nope', {
      method: 'OPTIONS',
      headers: { Origin: ALLOWED_ORIGIN, 'Access-Control-Request-Method': 'GET' },
    })
    expect(res.headers.get('Vary')).toBe('Origin')
    await expectProblem(res, 404, 'not_found')
  })

  it('adds CORS headers to answers (errors included) for allowed origins only', async () => {
    const h = harness()
    const ok = await h.request('/v1/health', { headers: { Origin: ALLOWED_ORIGIN } })
    expect(ok.headers.get('Access-Control-Allow-Origin')).toBe(ALLOWED_ORIGIN)
    expect(ok.headers.get('Access-Control-Allow-Credentials')).toBe('true')
    expect(ok.headers.get('Access-Control-Expose-Headers')).toContain('Retry-After')
    const error = await h.request('/v1/user', { headers: { Origin: ALLOWED_ORIGIN } })
    expect(error.headers.get('Access-Control-Allow-Origin')).toBe(ALLOWED_ORIGIN)
    await expectProblem(error, 401, 'unauthenticated')
    const denied = await h.request('/v1/health', { headers: { Origin: 'https://evil.example' } })
    expect(denied.status).toBe(200)
    expect(denied.headers.get('Access-Control-Allow-Origin')).toBeNull()
    expect(denied.headers.get('Vary')).toContain('Origin')
  })

  it('no CORS at all without ALLOWED_ORIGINS (the default)', async () => {
    const h = harness({ env: { ALLOWED_ORIGINS: undefined } })
    const res = await h.request('/v1/health', { headers: { Origin: ALLOWED_ORIGIN } })
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull()
    const pre = await h.request('/v1/health', {
      method: 'OPTIONS',
      headers: { Origin: ALLOWED_ORIGIN, 'Access-Control-Request-Method': 'GET' },
    })
    await expectProblem(pre, 403, 'origin_not_allowed')
  })
})

describe('headers on every /v1 answer', () => {
  it('no-store and secure headers on success, errors, 404 and 405', async () => {
    const h = harness()
    const { token } = await h.signIn()
    for (const res of [
      await h.request('/v1/user', { headers: bearer(token) }),
      await h.request('/v1/transient-token', json({}, bearer(token))),
      await h.request('/v1/user'),
      await h.request('/v1/nope'),
      await h.request('/v1/user', { method: 'PUT' }),
    ]) {
      expect(res.headers.get('Cache-Control')).toBe('no-store')
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
      expect(res.headers.get('Referrer-Policy')).toBe('no-referrer')
    }
  })
})

describe('no secret in KV, logs, answers or URLs', () => {
  it('a full flow: sign-in, user, transient token, source connection, PMS restart, sign-out', async () => {
    const logs: string[] = []
    const originals = { log: console.log, warn: console.warn, error: console.error, info: console.info }
    for (const level of ['log', 'warn', 'error', 'info'] as const) {
      console[level] = (...args: unknown[]) => logs.push(args.map(String).join(' '))
    }
    try {
      const h = harness()
      const { token, plexToken } = await h.signIn()
      const secrets = () => [
        token,
        plexToken,
        'alice-password',
        ...h.fake.requests.map((r) => r.headers['x-plex-token']).filter((t): t is string => !!t),
      ]
      const answers: string[] = []
      const record = async (res: Response) => {
        answers.push(await res.clone().text())
        return res
      }
      await record(await h.request('/v1/user', { headers: bearer(token) }))
      await expectKvClean(secrets())
      const transient = (await (
        await record(await h.request('/v1/transient-token', json({}, bearer(token))))
      ).json()) as { token: string }
      await expectKvClean([...secrets(), transient.token])
      await record(
        await h.request(`/v1/source-connection?source=server://${MAIN_SERVER_ID}`, {
          headers: bearer(token),
        }),
      )
      h.fake.restartServer(MAIN_SERVER_ID)
      await record(
        await h.request(`/v1/source-connection?source=server://${MAIN_SERVER_ID}`, {
          headers: bearer(token),
        }),
      )
      h.fake.inject({ kind: 'status', status: 500, path: '/api/v2/user', times: 1 })
      await record(await h.request('/v1/user', { headers: bearer(token) }))
      await record(await h.request('/v1/sign-in', json({ login: 'alice', password: 'WRONG-PASSWORD' })))
      const entries = await expectKvClean([...secrets(), transient.token, 'WRONG-PASSWORD'])
      expect(entries.map((e) => e.name.split(':')[0]).sort()).toEqual(['servers', 'session', 'transient'])
      await record(await h.request('/v1/sign-out', { method: 'POST', headers: bearer(token) }))
      expect(await expectKvClean(secrets())).toEqual([])

      // The only answer carrying a secret of ours is the sign-in (its own session token) and the
      // transient-token answer (its transient token); the Plex token and the password never leave.
      for (const answer of answers) {
        expect(answer).not.toContain(plexToken)
        expect(answer).not.toContain('alice-password')
        expect(answer).not.toContain('WRONG-PASSWORD')
      }
      // Tokens only ever travel in headers, never in a URL.
      for (const r of h.fake.requests) for (const secret of secrets()) expect(r.url).not.toContain(secret)
      for (const line of logs)
        for (const secret of [...secrets(), transient.token, 'WRONG-PASSWORD'])
          expect(line).not.toContain(secret)
    } finally {
      Object.assign(console, originals)
    }
  })
})
