/**
 * A small typed client for the worker's HTTP API, for frontends and servers alike: web standards only
 * (fetch, URL, Headers, AbortSignal), so it runs in browsers, Node, Deno, Bun and workerd.
 *
 * Types come from the worker's valibot schemas by `import type` only: nothing of valibot or the worker
 * reaches a bundle that imports this file.
 *
 * @example
 * import { createWorkerClient, WorkerProblemError } from '@plex-auth/worker/client'
 * const worker = createWorkerClient({ baseUrl: 'https://auth.example.com' }) // cookie session
 * // In a click handler, first thing: opens the popup inside the gesture, falls back to a redirect.
 * const result = await signInWithPlex(worker, { window })
 * const { servers } = await worker.getServers()
 */
import type * as v from 'valibot'
import type { ProblemCode } from '../http/problem.ts'
import type * as r from '../http/response-schemas.ts'
import type * as s from '../http/schemas.ts'

export {
  PENDING_PIN_KEY,
  resumeSignInWithPlex,
  type SignInPopup,
  type SignInWindow,
  type SignInWithPlexOptions,
  type SignInWithPlexResult,
  signInWithPlex,
} from './sign-in-with-plex.ts'

/** The Plex account (never an `authToken`). Unknown fields are kept. */
export type WorkerUser = v.InferOutput<typeof r.User>
/** `{ token, expiresAt }` of a new session. */
export type WorkerSessionInfo = v.InferOutput<typeof r.SessionInfo>
/** The answer of sign-in, token exchange and an authorized PIN. */
export type SignedIn = v.InferOutput<typeof r.SignedInResponse>
export type HealthResult = v.InferOutput<typeof r.HealthResponse>
export type TransientTokenResult = v.InferOutput<typeof r.TransientTokenResponse>
export type SourceConnectionResult = v.InferOutput<typeof r.SourceConnectionResponse>
export type PinCreated = v.InferOutput<typeof r.PinCreatedResponse>
export type PinStatus = v.InferOutput<typeof r.PinStatusResponse>
export type ServersResult = v.InferOutput<typeof r.ServersResponse>
export type WorkerServer = ServersResult['servers'][number]
export type HomeUsersResult = v.InferOutput<typeof r.HomeUsersResponse>
/** `GET /v1/access`: the user's role (owner, home, friend, none) and the servers it comes from. */
export type AccessResult = v.InferOutput<typeof r.AccessInfo>
export type SessionsResult = v.InferOutput<typeof r.SessionsResponse>
/** One session of the account, as `listSessions` lists it (never its token). */
export type WorkerSessionEntry = SessionsResult['sessions'][number]
/** A member of the account's Plex Home, as a user picker needs it (no token). */
export type WorkerHomeUser = HomeUsersResult['users'][number]

export type SignInInput = v.InferInput<typeof s.SignInBody>
export type TransientTokenInput = v.InferInput<typeof s.TransientTokenBody>
export type CreatePinInput = v.InferInput<typeof s.PinBody>
export type ExchangeTokenInput = v.InferInput<typeof s.SessionExchangeBody>
export type SwitchHomeUserInput = v.InferInput<typeof s.HomeSwitchBody>
/** The query of `GET /v1/source-connection`, with `refresh` as a boolean. */
export type SourceConnectionInput = Omit<v.InferInput<typeof s.SourceConnectionQuery>, 'refresh'> & {
  refresh?: boolean
}

/**
 * Codes a `WorkerProblemError` can carry: the worker's problem codes, plus two the client makes itself:
 * `network_error` (the worker could not be reached; `status` 0) and `invalid_response` (an answer that
 * is not the documented JSON or problem+json, such as a proxy's HTML error page).
 */
export type WorkerProblemCode = ProblemCode | 'network_error' | 'invalid_response'

export interface WorkerProblemIssue {
  path: string
  message: string
}

/** The problem+json fields (RFC 9457) of a failed call. */
export interface WorkerProblem {
  type: string
  title: string
  status: number
  detail: string
  code: WorkerProblemCode
  issues?: WorkerProblemIssue[]
  /** Seconds, from `Retry-After` (429 rate_limited). */
  retryAfter?: number
}

/**
 * Every failed call rejects with this error (except an abort, which rejects with the signal's reason).
 * `message` is `title: detail`, readable by a person. The Response is kept off the enumerable
 * properties so logging the error never prints headers.
 */
export class WorkerProblemError extends Error implements WorkerProblem {
  override readonly name = 'WorkerProblemError'
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly code: WorkerProblemCode
  readonly issues?: WorkerProblemIssue[]
  readonly retryAfter?: number
  declare readonly response: Response | undefined

  constructor(problem: WorkerProblem, options: { response?: Response; cause?: unknown } = {}) {
    super(`${problem.title}: ${problem.detail}`, options.cause === undefined ? {} : { cause: options.cause })
    this.type = problem.type
    this.title = problem.title
    this.status = problem.status
    this.detail = problem.detail
    this.code = problem.code
    if (problem.issues) this.issues = problem.issues
    if (problem.retryAfter !== undefined) this.retryAfter = problem.retryAfter
    Object.defineProperty(this, 'response', { value: options.response, enumerable: false })
  }
}

/** Whether `value` is a `WorkerProblemError`, optionally with one of `codes` (works across package copies). */
export function isWorkerProblemError(
  value: unknown,
  ...codes: WorkerProblemCode[]
): value is WorkerProblemError {
  return (
    value instanceof Error &&
    value.name === 'WorkerProblemError' &&
    (codes.length === 0 || codes.includes((value as WorkerProblemError).code))
  )
}

/**
 * How requests present the session: the HttpOnly cookie (browsers), or a bearer token. `'bearer'` is a
 * client that has no token yet and asks for one (`X-Session-Mode: bearer`) when it signs in.
 */
export type WorkerSession = 'cookie' | 'bearer' | { bearer: string }

export interface WorkerClientOptions {
  /** The worker's origin (and optional path prefix), e.g. `https://auth.example.com`. */
  baseUrl: string | URL
  /** Default: the global fetch, looked up at call time. */
  fetch?: typeof fetch
  /**
   * Default `'cookie'`: requests go with `credentials: 'include'`, so the browser keeps and sends the
   * HttpOnly session cookie, and sign-in answers carry no token, so page scripts never see it.
   * `'bearer'` asks for the token in the body of sign-in answers (`X-Session-Mode: bearer`; then use
   * `withSession({ bearer: signedIn.session.token })`), and `{ bearer }` sends `Authorization: Bearer <token>`;
   * both use `credentials: 'omit'` (for servers, native apps, or a frontend on another site, where
   * SameSite=Lax cookies do not flow).
   */
  session?: WorkerSession
  /** Headers added to every request. */
  headers?: HeadersInit
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal
  headers?: HeadersInit
}

/** Options of `listSessions`: the page after `cursor` (the previous page's `cursor`). */
export interface ListSessionsOptions extends CallOptions {
  cursor?: string
}

export interface GetUserOptions extends CallOptions {
  /**
   * `'plex'` (default): the whole account, from plex.tv. `'claims'`: for a Plex JWT session, what its
   * verified JWT says (`id`, `uuid`, `username`, `email`, `friendlyName`, `title`), without a plex.tv call.
   */
  from?: 'plex' | 'claims'
}

export interface WaitForPinOptions extends CallOptions {
  /** First delay between polls. Default 1000 ms. */
  intervalMs?: number
  /** Longest delay between polls (the delay grows by half each time). Default 5000 ms. */
  maxIntervalMs?: number
  /** Called after each pending answer. */
  onPending?: (attempt: number) => void
}

export interface WorkerClient {
  /** `GET /v1/health`. */
  health(options?: CallOptions): Promise<HealthResult>
  /** `POST /v1/sign-in`: login and password (and `verificationCode` after `verification_code_required`). */
  signIn(input: SignInInput, options?: CallOptions): Promise<SignedIn>
  /** `GET /v1/user`: the session's account (`{ from: 'claims' }`: from its Plex JWT, no plex.tv call). */
  getUser(options?: GetUserOptions): Promise<WorkerUser>
  /** `POST /v1/transient-token`: a short-lived token for one server (default PLEX_SERVER_URL). */
  getTransientToken(input?: TransientTokenInput, options?: CallOptions): Promise<TransientTokenResult>
  /** `GET /v1/source-connection`: how to reach a source, asked of the server. */
  getSourceConnection(input: SourceConnectionInput, options?: CallOptions): Promise<SourceConnectionResult>
  /** `POST /v1/sign-out`: ends the session (and clears the cookie). */
  signOut(options?: CallOptions): Promise<void>
  /** `POST /v1/sign-out` with `{everywhere: true}`: ends every session of the account, this one too. */
  signOutEverywhere(options?: CallOptions): Promise<void>
  /**
   * `GET /v1/sessions`: a page of the account's sessions, newest first (`current` marks this one), never
   * their tokens. A `cursor` in the answer means more: pass it back as `{ cursor }` for the next page.
   */
  listSessions(options?: ListSessionsOptions): Promise<SessionsResult>
  /** `DELETE /v1/sessions/{id}`: ends one session of the account, by its `id` from `listSessions`. */
  endSession(id: string, options?: CallOptions): Promise<void>
  /** `POST /v1/pins`: starts a PIN sign-in; open `authUrl` for the user, then poll with `pollToken`. */
  createPin(input?: CreatePinInput, options?: CallOptions): Promise<PinCreated>
  /** `GET /v1/pins/{id}` with the `X-Poll-Token` header: pending, or authorized (once) with the session. */
  pollPin(pin: Pick<PinCreated, 'id' | 'pollToken'>, options?: CallOptions): Promise<PinStatus>
  /**
   * Polls a PIN with backoff until it is authorized (resolves with the session and user) or expired
   * (rejects with `pin_expired`); rate limits are waited out. Stops when `signal` aborts.
   */
  waitForPin(
    pin: Pick<PinCreated, 'id' | 'pollToken' | 'expiresAt'>,
    options?: WaitForPinOptions,
  ): Promise<SignedIn>
  /** `POST /v1/sessions`: opens a session for a Plex token the frontend already has. */
  exchangeToken(input: ExchangeTokenInput, options?: CallOptions): Promise<SignedIn>
  /** `GET /v1/servers`: the account's Plex Media Servers (no access tokens). */
  getServers(options?: CallOptions): Promise<ServersResult>
  /** `GET /v1/home/users`: the members of the account's Plex Home (`[]` without a Home). */
  getHomeUsers(options?: CallOptions): Promise<HomeUsersResult>
  /** `GET /v1/access`: who the user is to the Plex servers (owner, home, friend or none). */
  getAccess(options?: CallOptions): Promise<AccessResult>
  /**
   * `POST /v1/home/switch`: a new session for a Home user (`pin` when it is protected), ending this one.
   * A bearer client continues with `withSession({ bearer: switched.session.token })`.
   */
  switchHomeUser(input: SwitchHomeUserInput, options?: CallOptions): Promise<SignedIn>
  /** The same client with another session, e.g. `{ bearer: signedIn.session.token }`. */
  withSession(session: WorkerSession): WorkerClient
}

interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  query?: Record<string, string | undefined>
  body?: unknown
  /** 204 answers: resolve with undefined. */
  empty?: boolean
}

const PROBLEM_TYPE = 'urn:plex-auth:problem:'

/** Problems the client makes itself (no answer, or one it cannot read). */
function clientProblem(
  code: 'network_error' | 'invalid_response' | 'pin_expired',
  status: number,
  detail: string,
): WorkerProblem {
  const titles = {
    network_error: 'Network error',
    invalid_response: 'Invalid response',
    pin_expired: 'PIN expired',
  }
  return { type: `${PROBLEM_TYPE}${code}`, title: titles[code], status, detail, code }
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined
  return Number(value.trim())
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads a non-2xx answer into a WorkerProblemError; anything but problem+json becomes invalid_response. */
async function problemFrom(response: Response): Promise<WorkerProblemError> {
  const contentType = response.headers.get('Content-Type') ?? ''
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'))
  let body: unknown
  if (/^application\/(problem\+)?json/i.test(contentType)) {
    try {
      body = await response.json()
    } catch {}
  }
  if (
    isObject(body) &&
    typeof body.code === 'string' &&
    typeof body.title === 'string' &&
    typeof body.detail === 'string'
  ) {
    const problem: WorkerProblem = {
      type: typeof body.type === 'string' ? body.type : `${PROBLEM_TYPE}${body.code}`,
      title: body.title,
      status: typeof body.status === 'number' ? body.status : response.status,
      detail: body.detail,
      code: body.code as WorkerProblemCode,
    }
    if (Array.isArray(body.issues)) {
      problem.issues = body.issues.filter(
        (issue): issue is WorkerProblemIssue =>
          isObject(issue) && typeof issue.path === 'string' && typeof issue.message === 'string',
      )
    }
    if (retryAfter !== undefined) problem.retryAfter = retryAfter
    return new WorkerProblemError(problem, { response })
  }
  await response.body?.cancel()
  return new WorkerProblemError(
    clientProblem(
      'invalid_response',
      response.status,
      `The worker answered HTTP ${response.status} without a problem description.`,
    ),
    { response },
  )
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Creates a client for the worker at `baseUrl`.
 * @example
 * const worker = createWorkerClient({ baseUrl: 'https://auth.example.com', session: 'bearer' })
 * const { session } = await worker.signIn({ login, password })
 * const user = await worker.withSession({ bearer: session.token! }).getUser()
 */
export function createWorkerClient(options: WorkerClientOptions): WorkerClient {
  const base = new URL(options.baseUrl)
  // A trailing slash so that relative paths keep a prefix such as https://example.com/auth/.
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  const session: WorkerSession = options.session ?? 'cookie'

  async function call<T>(spec: RequestSpec, callOptions: CallOptions = {}): Promise<T> {
    const url = new URL(spec.path.replace(/^\//, ''), base)
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value)
    }
    const headers = new Headers(options.headers)
    for (const [name, value] of new Headers(callOptions.headers)) headers.set(name, value)
    headers.set('Accept', 'application/json, application/problem+json')
    if (spec.body !== undefined) headers.set('Content-Type', 'application/json')
    if (session !== 'cookie') headers.set('X-Session-Mode', 'bearer')
    if (typeof session === 'object') headers.set('Authorization', `Bearer ${session.bearer}`)
    const init: RequestInit & { credentials?: 'include' | 'omit' } = {
      method: spec.method,
      headers,
      credentials: session === 'cookie' ? 'include' : 'omit',
    }
    if (spec.body !== undefined) init.body = JSON.stringify(spec.body)
    if (callOptions.signal) init.signal = callOptions.signal
    const doFetch = options.fetch ?? globalThis.fetch
    // An injected fetch (such as app.request) may ignore the signal: check it on both sides of the call.
    callOptions.signal?.throwIfAborted()
    let response: Response
    try {
      response = await doFetch(url.href, init)
    } catch (error) {
      if (callOptions.signal?.aborted) throw callOptions.signal.reason
      throw new WorkerProblemError(
        clientProblem('network_error', 0, 'The worker could not be reached; check the connection.'),
        { cause: error },
      )
    }
    callOptions.signal?.throwIfAborted()
    if (!response.ok) throw await problemFrom(response)
    if (spec.empty) {
      await response.body?.cancel()
      return undefined as T
    }
    let body: unknown
    try {
      body = await response.json()
    } catch {
      if (callOptions.signal?.aborted) throw callOptions.signal.reason
    }
    // The worker is ours and documented by the same schemas: check the shape only as far as "an object".
    if (!isObject(body)) {
      throw new WorkerProblemError(
        clientProblem(
          'invalid_response',
          response.status,
          'The worker answered with something other than JSON.',
        ),
        { response },
      )
    }
    return body as T
  }

  const client: WorkerClient = {
    health: (o) => call({ method: 'GET', path: '/v1/health' }, o),
    signIn: (input, o) => call({ method: 'POST', path: '/v1/sign-in', body: input }, o),
    getUser: ({ from, ...o } = {}) => call({ method: 'GET', path: '/v1/user', query: { from } }, o),
    getTransientToken: (input = {}, o) =>
      call({ method: 'POST', path: '/v1/transient-token', body: input }, o),
    getSourceConnection: (input, o) =>
      call(
        {
          method: 'GET',
          path: '/v1/source-connection',
          query: {
            source: input.source,
            server: input.server,
            refresh: input.refresh === undefined ? undefined : input.refresh ? '1' : '0',
          },
        },
        o,
      ),
    signOut: (o) => call({ method: 'POST', path: '/v1/sign-out', empty: true }, o),
    signOutEverywhere: (o) =>
      call({ method: 'POST', path: '/v1/sign-out', body: { everywhere: true }, empty: true }, o),
    listSessions: ({ cursor, ...o } = {}) =>
      call({ method: 'GET', path: '/v1/sessions', query: { cursor } }, o),
    endSession: (id, o) =>
      call({ method: 'DELETE', path: `/v1/sessions/${encodeURIComponent(id)}`, empty: true }, o),
    createPin: (input = {}, o) => call({ method: 'POST', path: '/v1/pins', body: input }, o),
    pollPin: (pin, o = {}) =>
      call(
        { method: 'GET', path: `/v1/pins/${encodeURIComponent(pin.id)}` },
        { ...o, headers: { ...Object.fromEntries(new Headers(o.headers)), 'X-Poll-Token': pin.pollToken } },
      ),
    async waitForPin(pin, o = {}) {
      const { intervalMs = 1000, maxIntervalMs = 5000, onPending, ...callOptions } = o
      // The worker answers 410 once the PIN expired; this guard only stops a client whose clock or
      // worker misbehaves from polling forever.
      const giveUpAt = Date.parse(pin.expiresAt) + 60_000
      let delay = intervalMs
      let failures = 0
      for (let attempt = 1; ; attempt++) {
        let status: PinStatus | undefined
        try {
          status = await client.pollPin(pin, callOptions)
          failures = 0
        } catch (error) {
          if (!isWorkerProblemError(error)) throw error
          if (error.code === 'rate_limited') {
            await sleep(Math.max((error.retryAfter ?? 1) * 1000, delay), callOptions.signal)
            continue
          }
          // A blip (network, upstream 5xx) should not end a sign-in the user is completing: try again a few times.
          const transient = error.code === 'network_error' || error.status >= 502
          if (!transient || ++failures > 3) throw error
        }
        if (status?.status === 'authorized') return { session: status.session, user: status.user }
        if (status) onPending?.(attempt)
        if (Number.isFinite(giveUpAt) && Date.now() > giveUpAt) {
          throw new WorkerProblemError(
            clientProblem('pin_expired', 410, 'The PIN expired before it was approved; start again.'),
          )
        }
        await sleep(delay, callOptions.signal)
        delay = Math.min(Math.round(delay * 1.5), maxIntervalMs)
      }
    },
    exchangeToken: (input, o) => call({ method: 'POST', path: '/v1/sessions', body: input }, o),
    getServers: (o) => call({ method: 'GET', path: '/v1/servers' }, o),
    getHomeUsers: (o) => call({ method: 'GET', path: '/v1/home/users' }, o),
    getAccess: (o) => call({ method: 'GET', path: '/v1/access' }, o),
    switchHomeUser: (input, o) => call({ method: 'POST', path: '/v1/home/switch', body: input }, o),
    withSession: (next) => createWorkerClient({ ...options, session: next }),
  }
  return client
}
