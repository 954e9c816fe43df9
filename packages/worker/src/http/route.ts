import { Hono } from 'hono/tiny'
import type { H } from 'hono/types'
import type * as v from 'valibot'
import type { AppEnv } from '../env.ts'
import type { ProblemCode } from './problem.ts'

/** Any valibot schema. */
export type Schema = v.GenericSchema<unknown, unknown>
/** A valibot object schema: each entry one query, path or header parameter. */
export type ParameterSchema = v.ObjectSchema<v.ObjectEntries, undefined>

/**
 * What a route is at run time, next to its handler: its method, path and how requests reach it. The app
 * mounts it and the 405/CORS table reads it. What it accepts and answers is in its RouteDocs.
 */
export interface RouteDescription {
  method: 'GET' | 'POST' | 'DELETE'
  /** The path as OpenAPI writes it: `{name}` for a path parameter (`/v1/pins/{id}`). */
  path: string
  /** Needs a session (bearer or cookie). */
  session?: boolean
  /** Opens a session, so it reads `X-Session-Mode`. */
  opensSession?: boolean
  /**
   * A GET that changes state (claims a PIN, writes KV, mints a token): HEAD gets 405 instead of running
   * the GET handler for an answer nobody reads.
   */
  changesState?: boolean
  /**
   * Called by relying parties' servers (OpenID Connect back channel): no Origin check, since no cookie
   * authenticates it (a client secret, a code or a token does).
   */
  anyOrigin?: boolean
  /** Errors are OAuth's JSON (`{"error": …}`, RFC 6749 5.2), which relying-party libraries read, not problem+json. */
  oauthErrors?: boolean
  /**
   * A person's browser is sent here by an app: a request that names an unknown app or return address
   * gets an HTML page (400) rather than problem+json, and is never redirected.
   */
  errorPage?: boolean
}

/**
 * What a route accepts and answers, written beside it as `<route>Docs`: its OpenAPI text, schemas and
 * problem codes. Read by the build-time document (routes/route-docs.ts) and the tests, never by the worker.
 * A function rather than an object, so the bundler drops it whole (an unused object literal that spreads
 * `...UPSTREAM_PROBLEMS` or names a schema is kept): none of it ships in the runtime bundle. The handler
 * validates with the same schemas, imported itself.
 */
export interface RouteDocs {
  summary: string
  /** Longer text: what the caller must know (lifetimes, what is passed through). */
  description?: string
  /** The request parts it validates, with the schemas it validates them with. */
  request?: {
    body?: { schema: Schema; form?: boolean; optional?: boolean }
    query?: ParameterSchema
    params?: ParameterSchema
    headers?: { name: string; description: string; required: boolean }[]
  }
  /** The success answer. The test harness checks every 2xx JSON body against `schema`. */
  response: {
    /** 302: a redirect (forward-auth's way back to an app). */
    status: 200 | 201 | 204 | 302
    description: string
    /** The JSON body. None: no body, or a page (HTML, the OpenAPI document). */
    schema?: Schema
    /** Sets (or clears) the `__Host-plex_session` cookie. */
    setsCookie?: boolean
  }
  /** The problem codes it answers with, beyond internal_error and misconfigured (every route's). */
  problems: ProblemCode[]
}

/** A described route and its Hono sub-app. */
export interface Route extends RouteDescription {
  /** Mounted at `/` by the app. */
  app: Hono<AppEnv>
  /** Matches the paths this route serves (a path parameter is one non-empty segment). */
  pattern: RegExp
}

/** Hono's form of an OpenAPI path: `/v1/pins/{id}` is `/v1/pins/:id`. */
const honoPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1')

function patternOf(path: string): RegExp {
  const parts = path.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${parts.join('[^/]+')}$`)
}

/**
 * A route: its description and its handlers (middleware first), as one object.
 * @example
 * export const health = defineRoute({ method: 'GET', path: '/v1/health' }, (c) => c.json({ status: 'ok' }))
 * export const healthDocs = (): RouteDocs => ({
 *   summary: 'Up',
 *   response: { status: 200, description: 'Up', schema: HealthResponse },
 *   problems: [],
 * })
 */
export function defineRoute(
  description: RouteDescription,
  ...handlers: [H<AppEnv, string>, ...H<AppEnv, string>[]]
): Route {
  return {
    ...description,
    app: new Hono<AppEnv>().on(description.method, honoPath(description.path), ...handlers),
    pattern: patternOf(description.path),
  }
}

/** Problems of every route that calls plex.tv or a server. */
export const UPSTREAM_PROBLEMS: ProblemCode[] = [
  'upstream_error',
  'upstream_invalid_response',
  'upstream_timeout',
  'rate_limited',
]
/** Problems of every route that needs a session. */
/** A session route: no or an ended session, a token Plex refuses, or access lost under the access policy. */
export const SESSION_PROBLEMS: ProblemCode[] = ['unauthenticated', 'plex_token_rejected', 'not_a_member']
