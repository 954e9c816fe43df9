import { PlexError } from '@plex-auth/core'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'

/** Every `code` a problem body can carry, with its HTTP status and title. */
export const PROBLEMS = {
  invalid_request: [400, 'Invalid request'],
  server_not_allowed: [400, 'Server not allowed'],
  unauthenticated: [401, 'Not signed in'],
  invalid_credentials: [401, 'Invalid credentials'],
  verification_code_required: [401, 'Verification code required'],
  plex_token_rejected: [401, 'Plex token rejected'],
  locked_out: [403, 'Locked out'],
  home_pin_required: [403, 'Home PIN required'],
  not_a_member: [403, 'Not a member'],
  forbidden: [403, 'Forbidden'],
  origin_not_allowed: [403, 'Origin not allowed'],
  not_found: [404, 'Not found'],
  jwt_not_accepted_by_server: [409, 'Plex JWT not accepted by servers'],
  method_not_allowed: [405, 'Method not allowed'],
  pin_expired: [410, 'PIN expired'],
  payload_too_large: [413, 'Payload too large'],
  unsupported_media_type: [415, 'Unsupported media type'],
  rate_limited: [429, 'Too many requests'],
  internal_error: [500, 'Internal error'],
  misconfigured: [500, 'Misconfigured'],
  upstream_error: [502, 'Upstream error'],
  upstream_invalid_response: [502, 'Invalid upstream response'],
  upstream_timeout: [504, 'Upstream timeout'],
} as const satisfies Record<string, readonly [number, string]>

export type ProblemCode = keyof typeof PROBLEMS

/** One validation issue: where, and what was expected. Never the submitted value. */
export interface ProblemIssue {
  path: string
  message: string
}

/** The `application/problem+json` body (RFC 9457) of every error answer. */
export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  code: ProblemCode
  issues?: ProblemIssue[]
}

/** A URN rather than a URL: problem types are identifiers here, not pages to fetch. */
export const problemType = (code: ProblemCode): string => `urn:plex-auth:problem:${code}`

/** What a problem may carry besides its code and detail. */
export interface ProblemOptions {
  /** For invalid_request: where and what was expected, never the submitted value. */
  issues?: ProblemIssue[]
  /** Extra response headers, e.g. `Retry-After` on rate_limited. */
  headers?: Record<string, string>
}

/**
 * An error that becomes a problem answer in `app.onError`. Its status is the code's entry in PROBLEMS:
 * no caller answers a code with another status.
 * @example throw new ProblemError('server_not_allowed', 'This server is not allowed.')
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError'
  readonly status: number
  readonly code: ProblemCode
  readonly issues: ProblemIssue[] | undefined
  readonly headers: Record<string, string>

  constructor(code: ProblemCode, detail: string, options: ProblemOptions = {}) {
    super(detail)
    this.status = PROBLEMS[code][0]
    this.code = code
    this.issues = options.issues
    this.headers = options.headers ?? {}
  }
}

/** Builds a problem+json Response. `Cache-Control: no-store` is set on every error. */
export function problemResponse(code: ProblemCode, detail: string, options: ProblemOptions = {}): Response {
  const [status, title] = PROBLEMS[code]
  const body: ProblemBody = { type: problemType(code), title, status, detail, code }
  if (options.issues) body.issues = options.issues
  const headers = new Headers(options.headers)
  headers.set('Content-Type', 'application/problem+json; charset=utf-8')
  headers.set('Cache-Control', 'no-store')
  return new Response(JSON.stringify(body), { status, headers })
}

/** Turns a ProblemError into its Response. */
export function problemFromError(error: ProblemError): Response {
  return problemResponse(error.code, error.message, {
    ...(error.issues ? { issues: error.issues } : {}),
    headers: error.headers,
  })
}

/**
 * The default mapping of core errors to problems. Routes handle the codes whose meaning depends on the
 * call first (401 from sign-in is invalid_credentials, from a token check plex_token_rejected).
 * Details are fixed strings: Plex's own messages are never passed through.
 */
export function problemFromPlexError(error: PlexError): ProblemError {
  switch (error.code) {
    case 'invalid_input':
      return new ProblemError('invalid_request', 'The request is invalid.')
    case 'verification_code_required':
      return new ProblemError(
        'verification_code_required',
        'This account needs a two-factor verification code.',
      )
    case 'locked_out':
      return new ProblemError(
        'locked_out',
        'Plex locked out sign-ins from here after repeated failures; try later.',
      )
    case 'home_pin_required':
      return new ProblemError('home_pin_required', 'This Home user needs its PIN: it was missing or wrong.')
    case 'unauthorized':
    case 'forbidden':
      return new ProblemError('forbidden', 'Plex refused this request for this account.')
    case 'not_found':
      return new ProblemError('not_found', 'Plex has no such resource.')
    case 'jwt_not_accepted_by_server':
      // The session stays: plex.tv still takes its token, and servers shared with the account still work.
      return new ProblemError(
        'jwt_not_accepted_by_server',
        'This session holds a Plex JWT, which Plex Media Servers refuse, and this server would get it. ' +
          'Servers shared with the account still work; for servers it owns, sign in with PLEX_TOKEN_KIND=legacy (the default).',
      )
    case 'rate_limited': {
      const retryAfter = Math.min(Math.max(Math.ceil(error.retryAfter ?? 60), 1), 3600)
      return new ProblemError('rate_limited', 'Plex is rate limiting these requests; try later.', {
        headers: { 'Retry-After': String(retryAfter) },
      })
    }
    case 'timeout':
      return new ProblemError('upstream_timeout', 'Plex did not answer in time.')
    case 'invalid_response':
      return new ProblemError(
        'upstream_invalid_response',
        'Plex sent an answer the worker could not understand.',
      )
    default:
      // bad_request, upstream_error, network_error, aborted
      return new ProblemError('upstream_error', 'Plex could not be reached or answered with an error.')
  }
}

/**
 * The first frames of an error's stack, never its message: the stack starts with it, and a message may
 * span lines (and quote a token), so lines after the first are not frames by themselves.
 */
function framesOf(error: Error): string | undefined {
  const stack = error.stack ?? ''
  const end = error.message ? stack.indexOf(error.message) : 0
  if (end < 0) return undefined
  const frames = stack
    .slice(end + error.message.length)
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
  return frames.slice(0, 5).join('\n') || undefined
}

/** Logs what failed without anything the error could carry from a request (no message: it may echo input). */
function logError(c: Context, error: unknown, code: string): void {
  const name = error instanceof Error ? error.name : typeof error
  const stack = error instanceof Error ? framesOf(error) : undefined
  console.error(
    JSON.stringify({ level: 'error', code, name, method: c.req.method, route: c.req.routePath, stack }),
  )
}

/** `app.onError`: every failure becomes problem+json; unknown errors become a bare 500 internal_error. */
export function handleError(error: unknown, c: Context): Response {
  if (error instanceof ProblemError) {
    // Our own details are fixed strings naming at most a variable, never a value: safe to log.
    if (error.status >= 500)
      console.error(JSON.stringify({ level: 'error', code: error.code, detail: error.message }))
    return problemFromError(error)
  }
  if (error instanceof PlexError) {
    const problem = problemFromPlexError(error)
    if (problem.status >= 500)
      console.warn(
        JSON.stringify({
          level: 'warn',
          code: problem.code,
          plex: error.code,
          status: error.status,
          route: c.req.routePath,
        }),
      )
    return problemFromError(problem)
  }
  if (error instanceof HTTPException) {
    if (error.status === 400) return problemResponse('invalid_request', 'The request is invalid.')
  }
  logError(c, error, 'internal_error')
  return problemResponse('internal_error', 'Something went wrong.')
}
