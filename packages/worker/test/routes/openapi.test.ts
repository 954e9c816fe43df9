import { validate } from '@scalar/openapi-parser'
import { describe, expect, it } from 'vitest'
import { buildOpenApiDocument } from '../../src/http/openapi-document.ts'
import { PROBLEMS } from '../../src/http/problem.ts'
import { API_ROUTES } from '../../src/routes/index.ts'
import { ROUTE_DOCS } from '../../src/routes/route-docs.ts'

interface OpenApiOperation {
  summary: string
  security: unknown[]
  requestBody: {
    required: boolean
    content: Record<string, { schema: { required?: string[]; properties: Record<string, unknown> } }>
  }
  responses: Record<string, { description: string; content?: unknown; headers?: Record<string, unknown> }>
  parameters: { name: string; in: string; required: boolean }[]
}

interface OpenApiDocument {
  openapi: string
  paths: Record<string, Record<string, OpenApiOperation>>
}

/** The document as the build writes it to /openapi.json (scripts/build-demo.mjs), through JSON. */
async function served(): Promise<OpenApiDocument> {
  return JSON.parse(JSON.stringify(buildOpenApiDocument(API_ROUTES, ROUTE_DOCS))) as OpenApiDocument
}

describe('the OpenAPI document (/openapi.json, built with the assets)', () => {
  it('documents every route with OpenAPI 3.1 generated from the valibot schemas', async () => {
    const doc = await served()
    expect(doc.openapi).toBe('3.1.0')
    for (const [path, method] of [
      ['/v1/health', 'get'],
      ['/v1/sign-in', 'post'],
      ['/v1/user', 'get'],
      ['/v1/transient-token', 'post'],
      ['/v1/source-connection', 'get'],
      ['/v1/sign-out', 'post'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined()
    }
    const signIn = doc.paths['/v1/sign-in']!.post!
    const schema = signIn.requestBody.content['application/json']!.schema
    expect(schema.required).toEqual(['login', 'password'])
    expect(schema.properties.login).toMatchObject({ type: 'string', minLength: 1, maxLength: 256 })
    expect(signIn.requestBody.content['application/x-www-form-urlencoded']).toBeDefined()
    expect(signIn.responses['401']!.description).toContain('verification_code_required')
    const query = doc.paths['/v1/source-connection']!.get!.parameters
    expect(query.find((p: { name: string }) => p.name === 'source')).toMatchObject({
      in: 'query',
      required: true,
    })
  })

  it('is a valid OpenAPI 3.1 document (@scalar/openapi-parser)', async () => {
    const doc = await served()
    const result = await validate(doc as unknown as Record<string, unknown>)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    // The validator does refuse a broken document, so the check above can fail.
    const broken = { ...doc, paths: { ...doc.paths, 'no-leading-slash': {} } }
    expect((await validate(broken as unknown as Record<string, unknown>)).valid).toBe(false)
  })

  it('is built from the registry: exactly one operation per API route, nothing else', async () => {
    const doc = await served()
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(documented.sort()).toEqual(API_ROUTES.map((route) => `${route.method} ${route.path}`).sort())
  })

  for (const route of API_ROUTES) {
    it(`documents ${route.method} ${route.path} as its route describes it`, async () => {
      const operation = (await served()).paths[route.path]![route.method.toLowerCase()]!
      const docs = ROUTE_DOCS.get(route)
      if (!docs) return expect.fail(`${route.method} ${route.path} has no docs in src/routes/route-docs.ts`)
      expect(operation.summary).toBe(docs.summary)
      expect(operation.summary, 'every route has OpenAPI text').not.toBe('')
      expect(operation.security.length > 0).toBe(route.session === true)

      const ok = operation.responses[String(docs.response.status)]!
      expect(ok.description).toBe(docs.response.description)
      expect(ok.content !== undefined).toBe(docs.response.schema !== undefined)
      expect(ok.headers?.['Set-Cookie'] !== undefined).toBe(docs.response.setsCookie === true)
      for (const code of [...docs.problems, 'internal_error', 'misconfigured'] as const) {
        const status = String(PROBLEMS[code][0])
        expect(operation.responses[status]?.description, code).toContain(`\`${code}\``)
      }

      const parameters = operation.parameters ?? []
      const named = (name: string, where: string) => parameters.find((p) => p.name === name && p.in === where)
      expect(named('X-Session-Mode', 'header') !== undefined).toBe(route.opensSession === true)
      const { body, params, query, headers } = docs.request ?? {}
      for (const [name, entry] of Object.entries(params?.entries ?? {}))
        expect(named(name, 'path'), name).toMatchObject({ required: entry.type !== 'optional' })
      for (const [name, entry] of Object.entries(query?.entries ?? {}))
        expect(named(name, 'query'), name).toMatchObject({ required: entry.type !== 'optional' })
      for (const header of headers ?? [])
        expect(named(header.name, 'header'), header.name).toMatchObject({ required: header.required })
      // Every path parameter of the template is declared.
      for (const [, name] of route.path.matchAll(/\{([^}]+)\}/g))
        expect(named(name!, 'path'), name).toBeDefined()

      if (!body) expect(operation.requestBody).toBeUndefined()
      else {
        // Every body is read through readBodyText, which refuses one past 16 KB: the document says so.
        if (route.oauthErrors) expect(operation.responses['413']?.description).toContain('`invalid_request`')
        else expect(docs.problems).toContain('payload_too_large')
        expect(operation.requestBody.required).toBe(!body.optional)
        expect(Object.keys(operation.requestBody.content)).toEqual(
          body.form ? ['application/json', 'application/x-www-form-urlencoded'] : ['application/json'],
        )
      }
    })
  }
})
