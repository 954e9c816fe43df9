// End to end: the worker started exactly as `npm run demo` starts it (wrangler dev, local KV, the fake
// Plex on loopback), driven over real HTTP the way a frontend's backend-for-frontend calls it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, root, run } from './commands.ts'
import { type DemoStack, startDemoStack } from './demo-stack.ts'

let stack: DemoStack

beforeAll(async () => {
  stack = await startDemoStack()
})

afterAll(async () => {
  await stack?.stop()
})

const ALICE_TOKEN = 'ALiCeT0kenFaKe9x2Qm7'
const ALICE_SERVER = '4d1c3e9a5b7f2e8d6c0a1b3f5e7d9c2a4b6e8f01'

async function call(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; res: Response }> {
  const res = await fetch(`${stack.url}${path}`, init)
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined, res }
}

describe('npm run demo, over HTTP', () => {
  it('signs in, uses every operation, signs out', async () => {
    expect((await call('/v1/health')).body).toEqual({ status: 'ok' })

    // A browser's sign-in: the session only in the HttpOnly cookie, no token in the body.
    const browser = await call('/v1/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'alice', password: 'alice-password' }),
    })
    expect(browser.status).toBe(201)
    const cookie = browser.res.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^__Host-plex_session=[A-Za-z0-9_-]{43};/)
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/Secure/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    expect((browser.body as { session: object }).session).toEqual({ expiresAt: expect.any(String) })

    // A script's sign-in asks for a bearer session.
    const signIn = await call('/v1/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-session-mode': 'bearer' },
      body: JSON.stringify({ login: 'alice', password: 'alice-password' }),
    })
    expect(signIn.status).toBe(201)
    const { session, user } = signIn.body as {
      session: { token: string; expiresAt: string }
      user: Record<string, unknown>
    }
    expect(session.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(user.username).toBe('alice')
    expect(JSON.stringify(signIn.body)).not.toContain(ALICE_TOKEN)
    expect(signIn.res.headers.get('set-cookie')).toBeNull()
    expect(signIn.res.headers.get('cache-control')).toBe('no-store')

    const auth = { authorization: `Bearer ${session.token}` }
    const me = await call('/v1/user', { headers: auth })
    expect(me.status).toBe(200)
    expect((me.body as { email: string }).email).toBe('alice@example.com')
    expect(JSON.stringify(me.body)).not.toMatch(/authToken/)

    const transient = await call('/v1/transient-token', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(transient.status).toBe(200)
    expect(transient.body).toMatchObject({ token: expect.stringMatching(/^transient-/), cached: false })
    const again = await call('/v1/transient-token', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(again.body).toMatchObject({ token: (transient.body as { token: string }).token, cached: true })

    const source = await call(
      `/v1/source-connection?source=${encodeURIComponent(`server://${ALICE_SERVER}`)}`,
      {
        headers: auth,
      },
    )
    expect(source.status).toBe(200)
    expect(source.body).toMatchObject({ clientIdentifier: ALICE_SERVER, connections: expect.any(Array) })

    const out = await call('/v1/sign-out', { method: 'POST', headers: auth })
    expect(out.status).toBe(204)
    const after = await call('/v1/user', { headers: auth })
    expect(after.status).toBe(401)
    expect(after.res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(after.body).toMatchObject({ code: 'unauthenticated', status: 401 })
  })

  it('answers wrong credentials, bad input and unknown routes with problem+json, never a 5xx', async () => {
    const wrong = await call('/v1/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'carol', password: 'not-her-password' }),
    })
    expect(wrong.status).toBe(401)
    expect(wrong.body).toMatchObject({ code: 'invalid_credentials' })
    expect(JSON.stringify(wrong.body)).not.toContain('not-her-password')

    const bad = await call('/v1/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"login": 42',
    })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ code: 'invalid_request' })

    const missing = await call('/v1/nope')
    expect(missing.status).toBe(404)
    expect(missing.res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  })

  // The typed client (@plex-auth/worker/client) as a script author runs it, in each runtime.
  it.each([
    ['Node (tsx)', bin('tsx'), ['examples/worker-client.ts']],
    [
      'Deno',
      bin('deno'),
      ['run', '--quiet', '--allow-net', '--allow-env', '--allow-read', 'examples/worker-client.ts'],
    ],
    ['Bun', bin('bun'), ['examples/worker-client.ts']],
  ])(
    'the typed client signs in, lists servers, gets a transient token and signs out from %s',
    async (_, command, args) => {
      const { stdout } = await run(command, args, {
        cwd: root,
        env: {
          ...process.env,
          PLEX_AUTH_URL: stack.url,
          PLEX_LOGIN: 'alice',
          PLEX_PASSWORD: 'alice-password',
        },
      })
      expect(stdout).toContain('Signed in as alice')
      expect(stdout).toContain("Servers: Alice's Plex, Cabin")
      expect(stdout).toMatch(/Transient token for Alice's Plex: \d+ characters/)
      expect(stdout).toContain('Signed out')
    },
  )
})

describe('npm start', () => {
  it('runs the worker under wrangler dev with local KV and the real plex.tv as its upstream', async () => {
    const started = await startDemoStack('start')
    try {
      const health = await fetch(`${started.url}/v1/health`)
      expect(await health.json()).toEqual({ status: 'ok' })
      // No fake here: nothing is configured to point away from plex.tv, and the settings come from .dev.vars.
      expect(started.output()).not.toContain('fake-plex is running')
      const openapi = (await (await fetch(`${started.url}/openapi.json`)).json()) as { openapi: string }
      expect(openapi.openapi).toMatch(/^3\.1/)
    } finally {
      await started.stop()
    }
  })
})
