import { toJsonSchema } from '@valibot/to-json-schema'
import { Hono } from 'hono'
import type * as v from 'valibot'
import type { AppEnv } from '../env.ts'
import { PROBLEMS, type ProblemCode } from '../problem.ts'
import * as s from '../schemas.ts'

type Schema = v.GenericSchema<unknown, unknown>

interface Operation {
  method: 'get' | 'post'
  path: string
  summary: string
  /** Longer text: what the caller must know (lifetimes, what is passed through). */
  description?: string
  /** Needs a session (bearer or cookie). */
  session?: boolean
  /** Opens a session: takes `X-Session-Mode`. */
  opensSession?: boolean
  body?: { schema: Schema; form?: boolean; optional?: boolean }
  query?: v.ObjectSchema<v.ObjectEntries, undefined>
  params?: v.ObjectSchema<v.ObjectEntries, undefined>
  headers?: { name: string; description: string; required: boolean }[]
  ok: { status: number; description: string; schema?: Schema; setsCookie?: boolean }
  errors: ProblemCode[]
}

const UPSTREAM: ProblemCode[] = [
  'upstream_error',
  'upstream_invalid_response',
  'upstream_timeout',
  'rate_limited',
]
const SESSION: ProblemCode[] = ['unauthenticated', 'plex_token_rejected']

const SESSION_MODE_PARAMETER = {
  name: 'X-Session-Mode',
  in: 'header',
  required: false,
  description:
    '`cookie` (default): the session goes only into the HttpOnly `__Host-plex_session` cookie and the body ' +
    'carries no token, so no page script can read it. `bearer`: the token is in `session.token` and no cookie is set.',
  schema: { type: 'string', enum: ['cookie', 'bearer'] },
}

/** Every route the worker serves, as documented. Request schemas are the ones the routes validate with. */
export const OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/v1/health',
    summary: 'The worker runs and is configured',
    ok: { status: 200, description: 'Healthy', schema: s.HealthResponse },
    errors: ['misconfigured'],
  },
  {
    method: 'post',
    path: '/v1/sign-in',
    summary: 'Sign in with a Plex login and password (and a 2FA code when asked); opens a new session',
    description:
      'Each sign-in is its own Plex device (a random X-Plex-Client-Identifier, named after the browser). ' +
      'Limited per client IP (/64) and login, 2FA codes per login, and failed sign-ins worker-wide (429 with Retry-After), ' +
      "so nobody can get the worker's address locked out at plex.tv. A form post needs an allowed Origin.",
    opensSession: true,
    body: { schema: s.SignInBody, form: true },
    ok: { status: 201, description: 'Signed in', schema: s.SignedInResponse, setsCookie: true },
    errors: [
      'invalid_request',
      'invalid_credentials',
      'verification_code_required',
      'locked_out',
      'origin_not_allowed',
      'payload_too_large',
      'unsupported_media_type',
      ...UPSTREAM,
    ],
  },
  {
    method: 'get',
    path: '/v1/user',
    summary: 'The Plex account of the session (GetTokenDetails)',
    session: true,
    ok: { status: 200, description: 'The account', schema: s.User },
    errors: [...SESSION, ...UPSTREAM],
  },
  {
    method: 'post',
    path: '/v1/transient-token',
    summary: 'A transient token for an allowed server, cached per session and server',
    description:
      'The token lives up to 48 hours at the server (until it restarts), whatever the worker does: sign-out ' +
      'does not end a transient token already handed out. The account token goes only to servers the account owns; ' +
      'a shared server is called with its own access token.',
    session: true,
    body: { schema: s.TransientTokenBody, optional: true },
    ok: { status: 200, description: 'A transient token', schema: s.TransientTokenResponse },
    errors: [
      'invalid_request',
      'server_not_allowed',
      'forbidden',
      'origin_not_allowed',
      'unsupported_media_type',
      ...SESSION,
      ...UPSTREAM,
    ],
  },
  {
    method: 'get',
    path: '/v1/source-connection',
    summary: 'How to reach a source (GetSourceConnectionInformation), asked with a transient token',
    description:
      "Passes through the source's `accessToken`: handing it to the caller is this operation's purpose. " +
      'Never the long-lived token the worker called the server with.',
    session: true,
    query: s.SourceConnectionQuery,
    ok: { status: 200, description: 'Connection information', schema: s.SourceConnectionResponse },
    errors: ['invalid_request', 'server_not_allowed', 'forbidden', 'not_found', ...SESSION, ...UPSTREAM],
  },
  {
    method: 'post',
    path: '/v1/sign-out',
    summary: 'Ends the session: deletes it and its cached tokens, clears the cookie',
    session: true,
    ok: { status: 204, description: 'Signed out (the cookie is cleared)', setsCookie: true },
    errors: ['unauthenticated', 'origin_not_allowed'],
  },
  {
    method: 'post',
    path: '/v1/pins',
    summary: 'Start a PIN sign-in: open `authUrl` for the user, then poll GET /v1/pins/{id} with `pollToken`',
    body: { schema: s.PinBody, optional: true },
    ok: { status: 201, description: 'A PIN', schema: s.PinCreatedResponse },
    errors: ['invalid_request', 'origin_not_allowed', 'unsupported_media_type', ...UPSTREAM],
  },
  {
    method: 'get',
    path: '/v1/pins/{id}',
    summary: 'Poll a PIN: pending until the user approves, then authorized with a new session (exactly once)',
    params: s.PinParams,
    opensSession: true,
    headers: [{ name: 'X-Poll-Token', description: 'The `pollToken` from POST /v1/pins.', required: true }],
    ok: { status: 200, description: 'Pending, or authorized', schema: s.PinStatusResponse, setsCookie: true },
    errors: ['invalid_request', 'unauthenticated', 'not_found', 'pin_expired', ...UPSTREAM],
  },
  {
    method: 'post',
    path: '/v1/sessions',
    summary: 'Exchange a Plex token the frontend already has for a session (never revoked by sign-out)',
    description:
      'The worker cannot know which device the token was made for: the session makes its calls under a fresh ' +
      'client identifier, and sign-out never revokes this token.',
    opensSession: true,
    body: { schema: s.SessionExchangeBody },
    ok: { status: 201, description: 'Signed in', schema: s.SignedInResponse, setsCookie: true },
    errors: [
      'invalid_request',
      'invalid_credentials',
      'origin_not_allowed',
      'unsupported_media_type',
      ...UPSTREAM,
    ],
  },
  {
    method: 'get',
    path: '/v1/servers',
    summary:
      "The account's Plex Media Servers; their connection URIs and clientIdentifiers become allowed `server` values",
    session: true,
    ok: { status: 200, description: 'Servers, without access tokens', schema: s.ServersResponse },
    errors: [...SESSION, ...UPSTREAM],
  },
]

function jsonSchema(schema: Schema): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, {
    target: 'draft-2020-12',
    errorMode: 'ignore',
  })
  return rest
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

function parameters(schema: v.ObjectSchema<v.ObjectEntries, undefined>, where: 'query' | 'path') {
  return Object.entries(schema.entries).map(([name, entry]) => ({
    name,
    in: where,
    required: entry.type !== 'optional',
    schema: jsonSchema(entry),
  }))
}

/** Builds the OpenAPI 3.1 document from OPERATIONS and the valibot schemas. */
export function buildOpenApiDocument(operations: Operation[] = OPERATIONS): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const op of operations) {
    const content: Record<string, unknown> = {}
    if (op.body) {
      content['application/json'] = { schema: jsonSchema(op.body.schema) }
      if (op.body.form) content['application/x-www-form-urlencoded'] = { schema: jsonSchema(op.body.schema) }
    }
    const ok: Record<string, unknown> = { description: op.ok.description }
    if (op.ok.schema) ok.content = { 'application/json': { schema: jsonSchema(op.ok.schema) } }
    if (op.ok.setsCookie) {
      ok.headers = {
        'Set-Cookie': {
          description: '`__Host-plex_session=<token>; Max-Age=…; Path=/; HttpOnly; Secure; SameSite=Lax`',
          schema: { type: 'string' },
        },
      }
    }
    const params = [
      ...(op.opensSession ? [SESSION_MODE_PARAMETER] : []),
      ...(op.params ? parameters(op.params, 'path') : []),
      ...(op.query ? parameters(op.query, 'query') : []),
      ...(op.headers ?? []).map((h) => ({ ...h, in: 'header', schema: { type: 'string' } })),
    ]
    paths[op.path] ??= {}
    paths[op.path]![op.method] = {
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(op.session ? { security: [{ bearer: [] }, { cookie: [] }] } : { security: [] }),
      ...(params.length ? { parameters: params } : {}),
      ...(op.body ? { requestBody: { required: !op.body.optional, content } } : {}),
      responses: { [String(op.ok.status)]: ok, ...problemResponses(op.errors) },
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
        cookie: { type: 'apiKey', in: 'cookie', name: '__Host-plex_session' },
      },
      schemas: { Problem: jsonSchema(s.Problem) },
    },
  }
}

let cached: string | undefined

/** `GET /openapi.json`. Built on first use, then kept for the isolate's life. */
export const openapi = new Hono<AppEnv>().get('/openapi.json', (c) => {
  cached ??= JSON.stringify(buildOpenApiDocument())
  return c.body(cached, 200, { 'Content-Type': 'application/json; charset=utf-8' })
})
