import { env } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import { sha256 } from '../../src/sessions/token-crypto.ts'
import {
  ALLOWED_ORIGIN,
  bearer,
  clearKv,
  dumpKv,
  expectKvClean,
  expectProblem,
  harness,
  json,
  openKv,
  randomIp,
  SEALED_VALUE,
  type SignedIn,
  TOKEN_PATTERN,
} from '../helpers.ts'

beforeEach(clearKv)

describe('POST /v1/sign-in', () => {
  it('bearer mode (X-Session-Mode: bearer): 201, the token in the body, no cookie', async () => {
    const h = harness()
    const { res, body, token, plexToken } = await h.signIn()
    expect(token).toMatch(TOKEN_PATTERN)
    expect(Date.parse(body.session.expiresAt) - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000)
    expect(body.user).toMatchObject({ id: 10000001, username: 'alice', email: 'alice@example.com' })
    expect(body.user).not.toHaveProperty('authToken')
    expect(JSON.stringify(body)).not.toContain(plexToken)
    expect(res.headers.get('Set-Cookie')).toBeNull()
  })

  it('cookie mode (the default): 201, expiry, user without secrets, __Host- cookie, and no token a script could read', async () => {
    const h = harness()
    const res = await h.request(
      '/v1/sign-in',
      json({ login: 'alice', password: 'alice-password' }, { 'CF-Connecting-IP': randomIp() }),
    )
    expect(res.status).toBe(201)
    const text = await res.text()
    const body = JSON.parse(text) as SignedIn
    const cookie = res.headers.get('Set-Cookie')!
    const token = /^__Host-plex_session=([A-Za-z0-9_-]{43});/.exec(cookie)?.[1]
    expect(token).toMatch(TOKEN_PATTERN)
    expect(body.session).toEqual({ expiresAt: expect.any(String) })
    expect(text).not.toContain(token)
    expect(text).not.toContain(h.plexTokens.at(-1))
    const expiresAt = Date.parse(body.session.expiresAt)
    expect(body.user).toMatchObject({ username: 'alice' })
    const flags = cookie.split(';').map((part) => part.trim())
    expect(flags).toEqual(
      expect.arrayContaining([
        'HttpOnly',
        'Secure',
        'SameSite=Lax',
        'Path=/',
        expect.stringMatching(/^Max-Age=\d+$/),
      ]),
    )
    expect(flags.some((f) => /^Domain=/i.test(f))).toBe(false)
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)![1])
    expect(Math.abs(maxAge - (expiresAt - Date.now()) / 1000)).toBeLessThan(5)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
  })

  it('sends the credentials to plex.tv as a form, never in the URL, and never retries', async () => {
    const h = harness()
    await h.signIn()
    const signIns = h.fake.requests.filter((r) => r.url.endsWith('/api/v2/users/signin'))
    expect(signIns).toHaveLength(1)
    expect(signIns[0]!.url).toBe('https://plex.tv/api/v2/users/signin')
    expect(signIns[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(new URLSearchParams(signIns[0]!.body).get('password')).toBe('alice-password')
    // Its own device: a random identifier (256 bits) and a name from the User-Agent.
    expect(signIns[0]!.headers['x-plex-client-identifier']).toMatch(TOKEN_PATTERN)
    expect(signIns[0]!.headers['x-plex-device-name']).toBe('Web session')
  })

  it('rejects an X-Session-Mode it does not know before asking plex.tv', async () => {
    const h = harness()
    const res = await h.request(
      '/v1/sign-in',
      json({ login: 'alice', password: 'alice-password' }, { 'X-Session-Mode': 'both' }),
    )
    const problem = await expectProblem(res, 400, 'invalid_request')
    expect(problem.issues).toEqual([{ path: 'X-Session-Mode', message: expect.stringContaining('bearer') }])
    expect(h.fake.requests).toHaveLength(0)
  })

  it('creates a new session on every sign-in', async () => {
    const h = harness()
    const a = await h.signIn()
    const b = await h.signIn()
    expect(a.token).not.toBe(b.token)
    expect((await dumpKv()).filter((e) => e.name.startsWith('session:'))).toHaveLength(2)
  })

  it('accepts form-encoded bodies (rememberMe as a form boolean) and 2FA codes', async () => {
    const h = harness()
    const res = await h.request('/v1/sign-in', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'CF-Connecting-IP': randomIp(),
        Origin: ALLOWED_ORIGIN,
      },
      body: new URLSearchParams({
        login: 'bob',
        password: 'bob-password',
        verificationCode: '123456',
        rememberMe: 'on',
      }).toString(),
    })
    expect(res.status).toBe(201)
    const sent = h.fake.requests.find((r) => r.url.endsWith('/users/signin'))!
    const form = new URLSearchParams(sent.body)
    expect(form.get('verificationCode')).toBe('123456')
    expect(form.get('rememberMe')).toBe('true')
  })

  it('stores the session under the hash of its token, sealed whole with its own device', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const entries = await expectKvClean([token, plexToken, 'alice-password'])
    // The session alone: the account's sessions are its lineage's (a Durable Object), not KV's.
    expect(entries.map((e) => e.name.split(':')[0])).toEqual(['session'])
    const [entry] = entries
    expect(entry!.name).toBe(`session:${await sha256(token)}`)
    expect(entry!.value).toMatch(SEALED_VALUE)
    expect(entry!.metadata ?? null).toBeNull()
    const value = (await openKv(entry!.name, entry!.value))!
    expect(value).toMatchObject({ v: 2, source: 'password', plexToken, deviceName: 'Web session' })
    const sent = h.fake.requests.find((r) => r.url.endsWith('/users/signin'))!
    expect(value.clientIdentifier).toBe(sent.headers['x-plex-client-identifier'])
    // Absolute expiration: the KV expiration is the session's expiry.
    expect(entry!.expiration! * 1000).toBe(value.expiresAt)
  })

  it('the sealed token is bound to its key: copied under another key it does not open', async () => {
    const h = harness()
    const { token } = await h.signIn()
    const other = await h.signIn()
    const [a, b] = [await sha256(token), await sha256(other.token)]
    const valueA = await env.PLEX_AUTH_KV.get(`session:${a}`)
    await env.PLEX_AUTH_KV.put(`session:${b}`, valueA!, { expirationTtl: 600 })
    await expectProblem(await h.request('/v1/user', { headers: bearer(other.token) }), 401, 'unauthenticated')
    expect((await h.request('/v1/user', { headers: bearer(token) })).status).toBe(200)
  })

  it('honours SESSION_TTL_SECONDS', async () => {
    const h = harness({ env: { SESSION_TTL_SECONDS: '3600' } })
    const { body, res } = await h.signIn()
    expect(Math.abs(Date.parse(body.session.expiresAt) - Date.now() - 3600_000)).toBeLessThan(5000)
    const cookieRes = await h.request(
      '/v1/sign-in',
      json({ login: 'alice', password: 'alice-password' }, { 'CF-Connecting-IP': randomIp() }),
      { SESSION_TTL_SECONDS: '3600' },
    )
    expect(res.headers.get('Set-Cookie')).toBeNull()
    expect(cookieRes.headers.get('Set-Cookie')).toMatch(/Max-Age=3(5|6)\d\d;/)
  })
})
