/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest'
import type { Route } from '../../src/http/route.ts'
import { methodsFor } from '../../src/http/route-table.ts'
import { API_ROUTES, ROUTES } from '../../src/routes/index.ts'
import { expectDocumented, harness } from '../helpers.ts'

/** A concrete path of a route: each `{param}` filled in. */
const examplePath = (route: Route): string => route.path.replace(/\{[^}]+\}/g, '123')

const isRoute = (value: unknown): value is Route =>
  typeof value === 'object' && value !== null && 'pattern' in value && 'app' in value && 'path' in value

describe('the route registry (src/routes/index.ts)', () => {
  it('lists every route a file in src/routes exports, each once', () => {
    const modules = import.meta.glob<Record<string, unknown>>('../../src/routes/*.ts', { eager: true })
    const exported = Object.values(modules).flatMap((module) => Object.values(module).filter(isRoute))
    expect(exported.length).toBeGreaterThanOrEqual(11)
    for (const route of exported) expect(ROUTES, `${route.method} ${route.path}`).toContain(route)
    const keys = ROUTES.map((route) => `${route.method} ${route.path}`)
    expect(new Set(keys).size).toBe(keys.length)
    // Under /v1, but for OpenID Connect discovery, which OIDC puts at the issuer's /.well-known.
    const underApi = (path: string) => path.startsWith('/v1/') || path === '/.well-known/openid-configuration'
    expect(API_ROUTES.every((route) => ROUTES.includes(route) && underApi(route.path))).toBe(true)
  })

  it('gives the 405 and CORS table its methods: GET with HEAD unless it changes state, others alone', async () => {
    const h = harness()
    const methodsOf = (route: Route): string[] =>
      route.method === 'GET' && !route.changesState ? ['GET', 'HEAD'] : [route.method]
    for (const route of ROUTES) {
      const path = examplePath(route)
      // Every route at this path (GET and POST /v1/sessions share one), in registry order.
      const expected = ROUTES.filter((r) => r.pattern.test(path)).flatMap(methodsOf)
      expect(methodsFor(path), path).toEqual(expected)
      const wrong = ['POST', 'GET', 'DELETE', 'PUT'].find((method) => !expected.includes(method))!
      const res = await h.request(path, { method: wrong })
      expect(res.status, `${wrong} ${path}`).toBe(405)
      expect(res.headers.get('Allow')).toBe([...methodsFor(path)!, 'OPTIONS'].join(', '))
    }
    expect(methodsFor('/v1/sessions')).toEqual(['POST', 'GET', 'HEAD'])
    expect(methodsFor('/v1/sessions/abc')).toEqual(['DELETE'])
    expect(methodsFor('/v1/nope')).toBeUndefined()
    expect(methodsFor('/v1/pins/1/2')).toBeUndefined()
  })

  it('the harness fails a 2xx answer that is not what its route documents', async () => {
    const fails = (method: string, path: string, res: Response) =>
      expectDocumented(method, path, res).then(
        () => undefined,
        (error: Error) => error.message,
      )
    expect(await fails('GET', '/v1/health', Response.json({ status: 'ok' }))).toBeUndefined()
    expect(await fails('GET', '/v1/health', Response.json({ status: 'fine' }))).toMatch(/status: Invalid/)
    expect(await fails('GET', '/v1/health', Response.json({ status: 'ok' }, { status: 201 }))).toMatch(
      /documents 200/,
    )
    expect(await fails('GET', '/v1/health', new Response('ok'))).toMatch(/without the JSON body/)
    expect(await fails('GET', '/v1/nope', Response.json({}))).toMatch(/no route/)
    expect(
      await fails('GET', 'https://worker.test/v1/pins/9?x=1', Response.json({ status: 'authorized' })),
    ).toMatch(/session: Invalid/)
    // Preflights are not successes, and errors are not checked against the success schema.
    expect(await fails('GET', '/v1/health', Response.json({}, { status: 500 }))).toBeUndefined()
    expect(await fails('OPTIONS', '/v1/health', new Response(null, { status: 204 }))).toBeUndefined()
  })

  it('the harness fails a problem its route does not document', async () => {
    const fails = (method: string, path: string, res: Response) =>
      expectDocumented(method, path, res).then(
        () => undefined,
        (error: Error) => error.message,
      )
    const problem = (code: string, status: number) =>
      new Response(JSON.stringify({ code, status }), {
        status,
        headers: { 'Content-Type': 'application/problem+json' },
      })
    expect(await fails('POST', '/v1/sign-in', problem('payload_too_large', 413))).toBeUndefined()
    expect(await fails('POST', '/v1/sign-in', problem('internal_error', 500))).toBeUndefined()
    expect(await fails('GET', '/v1/health', problem('payload_too_large', 413))).toMatch(
      /`payload_too_large`, a problem its route does not document/,
    )
    expect(await fails('POST', '/v1/oidc/token', problem('payload_too_large', 413))).toMatch(/not document/)
    expect(await fails('GET', '/v1/health', problem('', 400).clone())).toMatch(/not document/)
    expect(
      await fails(
        'GET',
        '/v1/health',
        Response.json(
          { no: 'code' },
          { status: 400, headers: { 'Content-Type': 'application/problem+json' } },
        ),
      ),
    ).toMatch(/names no code/)
    // Not a route's answer (404 for an unknown path, 405), OAuth JSON and pages: checked elsewhere.
    expect(await fails('GET', '/v1/nope', problem('not_found', 404))).toBeUndefined()
    expect(
      await fails('POST', '/v1/oidc/token', Response.json({ error: 'invalid_grant' }, { status: 400 })),
    ).toBeUndefined()
  })
})
