import fc from 'fast-check'
import { beforeAll, expect, it } from 'vitest'
import { API_ROUTES, ROUTES } from '../src/routes/index.ts'
import { signOut } from '../src/routes/sign-out.ts'
import { ALLOWED_ORIGIN, clearKv, type Harness, harness, MAIN_SERVER_ID, SERVER_URL } from './helpers.ts'

/*
 * Thousands of malformed requests at every route: never a 5xx, always problem+json on errors, never an
 * echoed secret. Every generated body, header and query carries a marker that must never come back.
 */

const MARKER = 'FUZZSECRET'
/** Every route's path (a path parameter as `123`), then paths no route serves. */
const PATHS = [
  ...ROUTES.map((route) => route.path.replace(/\{[^}]+\}/g, '123')),
  '/',
  '/v1',
  '/v1/',
  '/v1/nope',
]
/**
 * The routes aimed at with plausible input: every API route but sign-out, which would end the shared
 * session (chaotic requests still reach it).
 */
const ROUTES_AIMED = API_ROUTES.filter((route) => route !== signOut).map((route) => ({
  method: route.method,
  path: route.path.replace(/\{[^}]+\}/g, '123'),
}))
/** Routes that take a form: sign-in (either), OpenID Connect's token and revocation endpoints. */
const formRoutes = new Set(['/v1/sign-in', '/v1/oidc/token', '/v1/oidc/revoke'])
const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'MKCOL',
  'REPORT',
]

/** A form or query string of an object's entries (values stringified), with keys optionally renamed. */
function formOf(value: Record<string, unknown>, rename: Record<string, string> = {}): string {
  return new URLSearchParams(
    Object.entries(value).map(([k, v]): [string, string] => [rename[k] ?? k, textOf(v)]),
  ).toString()
}

// fc.jsonValue makes objects without a prototype now and then: String() throws on those.
function textOf(value: unknown): string {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value)
}

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((n) => String.fromCharCode(n)),
  maxLength: 60,
})
const secretish = printable.map((s) => `${MARKER}${s}`)
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  secretish,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
)
const plausible = fc.record(
  {
    login: fc.oneof(secretish, anyValue, fc.constantFrom('alice', 'bob', 'carol')),
    password: fc.oneof(secretish, anyValue),
    rememberMe: anyValue,
    verificationCode: fc.oneof(secretish, anyValue, fc.constant('123456')),
    type: fc.oneof(anyValue, fc.constant('delegation')),
    scope: fc.oneof(anyValue, fc.constant('all')),
    server: fc.oneof(
      secretish,
      anyValue,
      fc.constantFrom(SERVER_URL, MAIN_SERVER_ID, 'https://evil.example', 'http://[::1]:1/'),
    ),
    fresh: anyValue,
    forwardUrl: fc.oneof(secretish, anyValue, fc.constant(`${ALLOWED_ORIGIN}/done`)),
    plexToken: fc.oneof(secretish, anyValue),
    // OpenID Connect parameters (authorize's query, the token and revocation forms).
    client_id: fc.oneof(secretish, anyValue, fc.constantFrom('app', 'spa')),
    client_secret: fc.oneof(secretish, anyValue),
    redirect_uri: fc.oneof(
      secretish,
      anyValue,
      fc.constantFrom(`${ALLOWED_ORIGIN}/cb`, `${ALLOWED_ORIGIN}/spa`),
    ),
    response_type: fc.oneof(anyValue, fc.constant('code')),
    code_challenge: fc.oneof(secretish, anyValue, fc.constant('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')),
    code_challenge_method: fc.oneof(anyValue, fc.constant('S256')),
    grant_type: fc.oneof(anyValue, fc.constantFrom('authorization_code', 'refresh_token')),
    code: fc.oneof(secretish, anyValue, fc.constant(`${'A'.repeat(22)}.${'B'.repeat(43)}`)),
    code_verifier: fc.oneof(secretish, anyValue),
    refresh_token: fc.oneof(secretish, anyValue),
    token: fc.oneof(secretish, anyValue),
    id_token_hint: fc.oneof(secretish, anyValue),
    post_logout_redirect_uri: fc.oneof(secretish, anyValue),
    state: fc.oneof(secretish, anyValue),
    nonce: fc.oneof(secretish, anyValue),
  },
  { requiredKeys: [] },
)
const body = fc.oneof(
  plausible.map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  plausible.map((value) => formOf(value)),
  secretish,
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => `${MARKER}${s}`),
  fc.constant(''),
  fc.constant(`{"login":"${MARKER}`),
)
const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/x-www-form-urlencoded',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/problem+json',
    ),
    printable,
  ),
  { nil: undefined },
)
const query = fc.option(
  fc.oneof(
    fc
      .dictionary(fc.constantFrom('source', 'server', 'refresh', 'x', MARKER), fc.oneof(secretish, printable))
      .map((entries) => new URLSearchParams(entries).toString()),
    printable.map((s) => encodeURI(`${MARKER}${s}`)),
    fc.constantFrom(
      '%',
      '%zz',
      'source=%E0%A4%A',
      `source=server://${MAIN_SERVER_ID}&refresh=1`,
      'source=provider://tv.plex.provider.epg',
    ),
  ),
  { nil: undefined },
)

interface Session {
  token: string
  plexToken: string
}

let h: Harness
let session: Session

beforeAll(async () => {
  await clearKv()
  // With the OpenID Connect provider on, so its endpoints are fuzzed past their 404.
  h = harness({
    fake: { signInFailuresBeforeLockout: 1_000_000 },
    env: {
      OIDC_CLIENTS: JSON.stringify([
        {
          client_id: 'app',
          client_secret: `${MARKER}-secret-0123456789abcdef`,
          redirect_uris: [`${ALLOWED_ORIGIN}/cb`],
        },
        { client_id: 'spa', redirect_uris: [`${ALLOWED_ORIGIN}/spa`] },
      ]),
    },
  })
  session = await h.signIn()
})

it('survives thousands of malformed requests: no 5xx, problem+json errors, no echoed secret', async () => {
  const auth = fc.option(
    fc.oneof(
      fc.constant('valid'),
      secretish.map((s) => `Bearer ${s}`),
      printable.map((s) => `Bearer ${s}`),
      fc.constantFrom('Bearer', 'Basic Zm9vOmJhcg==', `Bearer ${'A'.repeat(43)}`, 'bearer  x'),
    ),
    { nil: undefined },
  )
  const cookie = fc.option(
    fc.oneof(
      fc.constant('valid'),
      secretish.map((s) => `__Host-plex_session=${encodeURIComponent(s)}`),
      printable,
    ),
    { nil: undefined },
  )
  const origin = fc.option(
    fc.oneof(fc.constantFrom(ALLOWED_ORIGIN, 'https://evil.example', 'null', 'http://localhost'), printable),
    { nil: undefined },
  )
  const chaotic = fc.record({
    // workerd's Request refuses methods it does not know, so unknown ones never reach a worker.
    method: fc.constantFrom(...METHODS),
    path: fc.oneof(
      fc.constantFrom(...PATHS),
      fc.constantFrom(...PATHS).chain((p) => printable.map((s) => `${p}/${encodeURIComponent(s)}`)),
      fc.stringMatching(/^\/v1\/pins\/[^/?#]{0,20}$/),
    ),
    query,
    body,
    contentType,
    auth,
    cookie,
    origin,
    acrm: fc.option(fc.constantFrom('GET', 'POST', 'DELETE'), { nil: undefined }),
    extra: fc.option(
      fc.tuple(fc.constantFrom('X-Poll-Token', 'CF-Connecting-IP', 'Accept'), fc.oneof(secretish, printable)),
      {
        nil: undefined,
      },
    ),
  })
  // Mostly well-aimed requests (right method, path and content type, a valid session) with malformed
  // content, so the fuzzing reaches validation and the handlers rather than stopping at 404/405/415.
  const aimed = fc
    .record({
      route: fc.constantFrom(...ROUTES_AIMED),
      payload: plausible,
      form: fc.boolean(),
      auth: fc.oneof(fc.constant('valid' as const), auth),
      origin: fc.option(fc.constantFrom(ALLOWED_ORIGIN, 'https://evil.example'), { nil: undefined }),
      query,
      pollToken: fc.option(fc.oneof(secretish, printable), { nil: undefined }),
    })
    .map(({ route, payload, form, auth: a, origin: o, query: q, pollToken }) => ({
      method: route.method,
      path: route.path,
      query:
        route.path === '/v1/source-connection'
          ? formOf(payload, { login: 'source' })
          : route.method === 'GET' && route.path.startsWith('/v1/oidc/')
            ? formOf(payload)
            : q,
      body: form && formRoutes.has(route.path) ? formOf(payload) : JSON.stringify(payload),
      contentType:
        form && formRoutes.has(route.path) ? 'application/x-www-form-urlencoded' : 'application/json',
      auth: a,
      cookie: undefined,
      origin: o,
      acrm: undefined,
      extra: pollToken === undefined ? undefined : (['X-Poll-Token', pollToken] as [string, string]),
    }))
  const request = fc.oneof({ weight: 3, arbitrary: aimed }, { weight: 1, arbitrary: chaotic })

  let checked = 0
  let skipped = 0
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const headers = new Headers()
      if (r.contentType !== undefined) headers.set('Content-Type', r.contentType)
      if (r.auth !== undefined)
        headers.set('Authorization', r.auth === 'valid' ? `Bearer ${session.token}` : r.auth)
      if (r.cookie !== undefined)
        headers.set('Cookie', r.cookie === 'valid' ? `__Host-plex_session=${session.token}` : r.cookie)
      if (r.origin !== undefined) headers.set('Origin', r.origin)
      if (r.acrm !== undefined) headers.set('Access-Control-Request-Method', r.acrm)
      if (r.extra) headers.set(r.extra[0], r.extra[1])
      const hasBody = !['GET', 'HEAD'].includes(r.method)
      const url = `https://worker.example${r.path}${r.query !== undefined ? `?${r.query}` : ''}`
      let res: Response
      try {
        res = await h.request(url, { method: r.method, headers, ...(hasBody ? { body: r.body } : {}) })
      } catch (error) {
        // Requests the Request constructor itself refuses (e.g. a forbidden method) never reach the worker.
        if (error instanceof TypeError) {
          skipped++
          return
        }
        throw error
      }
      const text = await res.text()
      expect(res.status, `${r.method} ${r.path}: ${text}`).toBeLessThan(500)
      const method = r.method === 'HEAD' ? 'GET' : r.method
      const route = ROUTES.find((x) => x.pattern.test(r.path) && x.method === method)
      const type = res.headers.get('Content-Type') ?? ''
      if (res.status >= 400 && route?.errorPage && type.startsWith('text/html')) {
        // A page for a person: 400, no redirect (checked for the marker below like every answer).
        expect(res.status).toBe(400)
        expect(res.headers.get('Location')).toBeNull()
      } else if (res.status >= 400 && route?.oauthErrors && type.startsWith('application/json')) {
        // RFC 6749 5.2: what relying-party libraries read.
        if (r.method !== 'HEAD') expect(typeof (JSON.parse(text) as { error: unknown }).error).toBe('string')
      } else if (res.status >= 400) {
        expect(type).toMatch(/^application\/problem\+json/)
        if (r.method !== 'HEAD') {
          const problem = JSON.parse(text) as { code: string; status: number }
          expect(problem.status).toBe(res.status)
          expect(typeof problem.code).toBe('string')
        }
      }
      // OAuth echoes `state` to the client's registered redirect_uri (RFC 6749 4.1.2): that is its job.
      const echoed = (k: string, v: string) =>
        k === 'location' && v.startsWith(`${ALLOWED_ORIGIN}/`)
          ? v.replace(/([?&])state=[^&]*/, '$1state=')
          : v
      const everything = `${text}\n${[...res.headers].map(([k, v]) => `${k}: ${echoed(k, v)}`).join('\n')}`
      expect(everything).not.toContain(MARKER)
      expect(everything).not.toContain(session.plexToken)
      if (r.path.startsWith('/v1/sign-out') && res.status === 204) session = await h.signIn()
      else expect(everything.includes(session.token) && !r.path.startsWith('/v1/sign-in')).toBe(false)
      checked++
    }),
    { numRuns: 3000 },
  )
  expect(checked, `${skipped} refused by Request`).toBeGreaterThan(2900)
}, 60_000)
