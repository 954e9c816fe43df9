import { toJsonSchema } from '@valibot/to-json-schema'
/*
 * The OpenAPI 3.1 document of the routes, from their descriptions and valibot schemas. Built at build time
 * (packages/worker/scripts/build-demo.mjs writes it to the static assets as /openapi.json), never in the
 * worker: the JSON Schema conversion (@valibot/to-json-schema) would cost every request's bundle ~13 KB.
 */
import { PROBLEMS, type ProblemCode } from './problem.ts'
import * as s from './response-schemas.ts'
import type { ParameterSchema, Route, RouteDocs, Schema } from './route.ts'

const SESSION_MODE_PARAMETER = {
  name: 'X-Session-Mode',
  in: 'header',
  required: false,
  description:
    '`cookie` (default): the session goes only into the HttpOnly `__Host-plex_session` cookie and the body ' +
    'carries no token, so no page script can read it. `bearer`: the token is in `session.token` and no cookie is set.',
  schema: { type: 'string', enum: ['cookie', 'bearer'] },
}

function jsonSchema(schema: Schema): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, {
    target: 'draft-2020-12',
    errorMode: 'ignore',
  })
  return rest
}

/** OpenID Connect's back channel answers errors as OAuth does (RFC 6749 5.2), for relying-party libraries. */
const OAUTH_ERROR = {
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'string' }, error_description: { type: 'string' } },
      },
    },
  },
}
const OAUTH_ERROR_RESPONSES = {
  '400': {
    description: 'OAuth error: `invalid_request`, `invalid_grant`, `unsupported_grant_type`',
    ...OAUTH_ERROR,
  },
  '401': {
    description: 'OAuth error: `invalid_client`, `invalid_token` (with `WWW-Authenticate`)',
    ...OAUTH_ERROR,
  },
}
/** An OAuth form past 16 KB (oidc/form.ts): OAuth's JSON too. */
const OAUTH_TOO_LARGE = {
  '413': { description: 'OAuth error: `invalid_request` (a body past 16 KB)', ...OAUTH_ERROR },
}
/** Where a person's browser lands: an unknown app or return address gets a page, never a redirect. */
const ERROR_PAGE_RESPONSE = {
  '400': {
    description: 'An HTML page: unknown client, unregistered return address or bad hint',
    content: { 'text/html': {} },
  },
}

function problemResponses(codes: ProblemCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ProblemCode[]>()
  for (const code of [...codes, 'internal_error', 'misconfigured'] as ProblemCode[]) {
    const status = PROBLEMS[code][0]
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])])
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: `Problem: ${list.map((code) => `\`${code}\``).join(', ')}`,
        ...(status === 429 ? { headers: { 'Retry-After': { schema: { type: 'integer' } } } } : {}),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    ]),
  )
}

function parametersOf(schema: ParameterSchema, where: 'query' | 'path') {
  return Object.entries(schema.entries).map(([name, entry]) => ({
    name,
    in: where,
    required: entry.type !== 'optional',
    schema: jsonSchema(entry),
  }))
}

/** Builds the OpenAPI 3.1 document of these routes from their descriptions and valibot schemas. */
export function buildOpenApiDocument(
  routes: readonly Route[],
  docs: ReadonlyMap<Route, RouteDocs>,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const routeDocs = docs.get(route)
    if (!routeDocs) throw new Error(`${route.method} ${route.path} has no docs in routes/route-docs.ts`)
    const { body, params, query, headers } = routeDocs.request ?? {}
    const content: Record<string, unknown> = {}
    if (body) {
      content['application/json'] = { schema: jsonSchema(body.schema) }
      if (body.form) content['application/x-www-form-urlencoded'] = { schema: jsonSchema(body.schema) }
    }
    const ok: Record<string, unknown> = { description: routeDocs.response.description }
    if (routeDocs.response.schema)
      ok.content = { 'application/json': { schema: jsonSchema(routeDocs.response.schema) } }
    if (routeDocs.response.setsCookie) {
      ok.headers = {
        'Set-Cookie': {
          description: '`__Host-plex_session=<token>; Max-Age=…; Path=/; HttpOnly; Secure; SameSite=Lax`',
          schema: { type: 'string' },
        },
      }
    }
    const parameters = [
      ...(route.opensSession ? [SESSION_MODE_PARAMETER] : []),
      ...(params ? parametersOf(params, 'path') : []),
      ...(query ? parametersOf(query, 'query') : []),
      ...(headers ?? []).map((h) => ({ ...h, in: 'header', schema: { type: 'string' } })),
    ]
    paths[route.path] ??= {}
    paths[route.path]![route.method.toLowerCase()] = {
      summary: routeDocs.summary,
      ...(routeDocs.description ? { description: routeDocs.description } : {}),
      ...(route.session ? { security: [{ bearer: [] }, { cookie: [] }] } : { security: [] }),
      ...(parameters.length ? { parameters: parameters } : {}),
      ...(body ? { requestBody: { required: !body.optional, content } } : {}),
      responses: {
        [String(routeDocs.response.status)]: ok,
        ...problemResponses(routeDocs.problems),
        ...(route.oauthErrors ? OAUTH_ERROR_RESPONSES : {}),
        ...(route.oauthErrors && body ? OAUTH_TOO_LARGE : {}),
        ...(route.errorPage ? ERROR_PAGE_RESPONSE : {}),
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'plex-auth worker',
      version: '0.1.0',
      description:
        'Plex sign-in for frontends. Plex tokens stay in the worker, encrypted; frontends hold an opaque session ' +
        '(the `__Host-plex_session` cookie by default, or `Authorization: Bearer <token>` for clients that sign in ' +
        'with `X-Session-Mode: bearer`). Errors are application/problem+json.',
    },
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        // `__Secure-plex_session` instead when SESSION_COOKIE_DOMAIN is set (forward-auth).
        cookie: { type: 'apiKey', in: 'cookie', name: '__Host-plex_session' },
      },
      schemas: { Problem: jsonSchema(s.Problem) },
    },
  }
}
