import type * as v from 'valibot'
import { safeParse } from 'valibot'
import { PlexError, sanitizeCause, secretForms } from './errors.ts'
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  invalidInput,
  type PlexCallOptions,
  type PlexClientOptions,
  positiveOr,
  type ResolvedRetry,
  resolveFetch,
  resolveRetry,
} from './options.ts'
import { errorFromResponse } from './status-to-error.ts'

/** One request to Plex, as an operation describes it. */
export interface PlexRequest {
  method: 'GET' | 'POST' | 'DELETE'
  url: string
  /** Sent as X-Plex-Token, never in the URL. */
  token?: string
  /** Sent as application/x-www-form-urlencoded. */
  form?: URLSearchParams
  /** Sent as application/json (the JWT endpoints). */
  json?: unknown
  /** Other values that must never show up in an error (password, 2FA code, device JWT, Home PIN). */
  secrets?: string[]
}

/** A 2xx answer with its body already read (inside the attempt's timeout). */
export interface PlexExchange {
  response: Response
  text: string
  label: string
}

/** The forms a secret can take in an error (raw, percent-, form- and JSON-encoded), worked out only on failure. */
class LazySecrets {
  #raw: (string | undefined)[]
  #forms: string[] | undefined
  constructor(raw: (string | undefined)[]) {
    this.#raw = raw
  }
  get forms(): string[] {
    this.#forms ??= secretForms(this.#raw)
    return this.#forms
  }
}

/** The path of an absolute URL without parsing it (the hot path); never the query, which is not ours to log. */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return '/'
  const end = url.indexOf('?', start)
  return end < 0 ? url.slice(start) : url.slice(start, end)
}

const X_PLEX_HEADERS = [
  ['product', 'X-Plex-Product'],
  ['version', 'X-Plex-Version'],
  ['platform', 'X-Plex-Platform'],
  ['platformVersion', 'X-Plex-Platform-Version'],
  ['device', 'X-Plex-Device'],
  ['deviceName', 'X-Plex-Device-Name'],
  ['model', 'X-Plex-Model'],
] as const

/**
 * The headers of every Plex request; throws `invalid_input` before anything is sent. A plain record
 * unless the caller passed extra headers: building a `Headers` costs more than the rest of the call.
 */
export function plexHeaders(
  options: PlexClientOptions & PlexCallOptions,
  token?: string,
): Record<string, string> | Headers {
  if (typeof options.clientIdentifier !== 'string' || options.clientIdentifier.trim() === '') {
    throw invalidInput('clientIdentifier is required (X-Plex-Client-Identifier)')
  }
  const ours: Record<string, string> = {
    Accept: 'application/json',
    'X-Plex-Client-Identifier': headerValue(options.clientIdentifier, 'clientIdentifier'),
  }
  for (const [option, name] of X_PLEX_HEADERS) {
    const value = options[option]
    if (value !== undefined && value !== '') ours[name] = headerValue(value, option)
  }
  if (token !== undefined) ours['X-Plex-Token'] = headerValue(token, 'token')
  if (options.headers === undefined) return ours
  // Extra headers first, ours over them: a caller cannot replace the token or client identifier by accident.
  const headers = new Headers(options.headers)
  for (const [name, value] of Object.entries(ours)) headers.set(name, value)
  return headers
}

function setHeader(headers: Record<string, string> | Headers, name: string, value: string): void {
  if (headers instanceof Headers) headers.set(name, value)
  else headers[name] = value
}

const encoder = new TextEncoder()

// Headers carry bytes: a UTF-8 device name ("Küche") travels as its UTF-8 bytes, as Plex expects.
function headerValue(value: string, name: string): string {
  if (typeof value !== 'string') throw invalidInput(`${name} is not a valid header value`)
  // Printable ASCII (the usual case) is sent as it is; one test on the hot path.
  if (!/[^\x20-\x7e\t]/.test(value)) return value
  if (/[\0\r\n]/.test(value)) throw invalidInput(`${name} is not a valid header value`)
  return String.fromCharCode(...encoder.encode(value))
}

/** `base` + `path` + a percent-encoded query. */
export function plexUrl(base: string, path: string, query: Record<string, string | undefined> = {}): string {
  const pairs = Object.entries(query)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
  return `${base}${path}${pairs.length ? `?${pairs.join('&')}` : ''}`
}

/**
 * Sends one request: X-Plex-* headers, per-attempt timeout, the caller's signal, retries for GETs
 * (network errors, timeouts, 429, 502, 503, 504) with capped exponential backoff and full jitter,
 * honouring `Retry-After` up to `maxRetryAfterMs`. Reads at most `maxResponseBytes` of any answer, 2xx or
 * not. Resolves only with a 2xx; throws only PlexError.
 */
export async function plexRequest(
  options: PlexClientOptions & PlexCallOptions,
  request: PlexRequest,
): Promise<PlexExchange> {
  const secrets = new LazySecrets([request.token, ...(request.secrets ?? [])])
  const headers = plexHeaders(options, request.token)
  if (request.form) setHeader(headers, 'Content-Type', 'application/x-www-form-urlencoded')
  if (request.json !== undefined) setHeader(headers, 'Content-Type', 'application/json')
  const body = request.json !== undefined ? JSON.stringify(request.json) : request.form?.toString()
  const fetchImpl = resolveFetch(options)
  const timeoutMs =
    typeof options.timeoutMs === 'number' && options.timeoutMs > 0 ? options.timeoutMs : DEFAULT_TIMEOUT_MS
  const maxBytes = positiveOr(options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES)
  // Sign-in, PIN creation and sign-out are never repeated: repeated sign-ins lock the IP out.
  const retry: ResolvedRetry = request.method === 'GET' ? resolveRetry(options.retry) : resolveRetry(false)
  const label = `${request.method} ${pathOf(request.url)}`
  const signal = options.signal

  for (let attempt = 0; ; attempt++) {
    throwIfAborted(signal, label, secrets)
    let error: PlexError
    try {
      const { response, text } = await attemptOnce(
        fetchImpl,
        request.url,
        { method: request.method, headers, body, redirect: 'manual' },
        timeoutMs,
        maxBytes,
        signal,
        label,
        secrets,
      )
      if (response.status >= 200 && response.status < 300) return { response, text, label }
      error = errorFromResponse(response, text, label, secrets.forms)
    } catch (caught) {
      error = caught as PlexError
    }
    const delayMs = attempt < retry.retries ? retryDelay(error, attempt, retry) : undefined
    if (delayMs === undefined) throw error
    retry.onRetry?.({ attempt: attempt + 1, delayMs, error })
    await sleep(delayMs, signal, label, secrets)
  }
}

const RETRIED_STATUSES = [429, 502, 503, 504]

/** The wait before the next attempt, or undefined when this error is not worth another try. */
function retryDelay(error: PlexError, attempt: number, retry: ResolvedRetry): number | undefined {
  // By code as well as status: an oversized 503 is invalid_response, and asking again would read it again.
  const retriable =
    error.code === 'network_error' ||
    error.code === 'timeout' ||
    ((error.code === 'rate_limited' || error.code === 'upstream_error') &&
      error.status !== undefined &&
      RETRIED_STATUSES.includes(error.status))
  if (!retriable) return undefined
  if (error.retryAfter !== undefined) {
    const ms = error.retryAfter * 1000
    // Like got's maxRetryAfter: a longer wait than we accept is the caller's decision, not ours.
    return ms <= retry.maxRetryAfterMs ? ms : undefined
  }
  // Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^attempt)].
  return Math.random() * Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** attempt)
}

async function attemptOnce(
  fetchImpl: (input: string, init: RequestInit) => Promise<Response>,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  maxBytes: number,
  signal: AbortSignal | undefined,
  label: string,
  secrets: LazySecrets,
): Promise<{ response: Response; text: string }> {
  const controller = new AbortController()
  let timedOut = false
  // `stop` rejects whichever step is pending when our timer or the caller's signal fires, so that a
  // fetch that ignores `signal` still times out. A hand-rolled race per step (one promise, no
  // Promise.race, no listener on our own signal): this is the hot path, see bench/core-speed.ts.
  let stop: (reason: unknown) => void = noop
  // The body being read, cancelled too when we stop: a body that ignores the signal is let go of.
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  const timer = setTimeout(() => {
    timedOut = true
    const reason = new PlexError('timeout', `${label}: no answer within ${timeoutMs} ms`)
    controller.abort(reason)
    stop(reason)
    reader?.cancel(reason).catch(noop)
  }, timeoutMs)
  const onAbort = signal
    ? (): void => {
        controller.abort(signal.reason)
        stop(signal.reason)
        reader?.cancel(signal.reason).catch(noop)
      }
    : undefined
  if (onAbort) signal?.addEventListener('abort', onAbort, { once: true })
  let response: Response
  // Undefined when the answer is larger than maxBytes.
  let text: string | undefined
  try {
    response = await new Promise<Response>((resolve, reject) => {
      stop = reject
      init.signal = controller.signal
      fetchImpl(url, init).then(resolve, reject)
    })
    const body = response.body
    if (body === null) {
      text = ''
    } else if (Number(response.headers.get('content-length')) > maxBytes) {
      // Declared too large: not one byte is read.
      body.cancel().catch(noop)
    } else {
      const bodyReader = body.getReader()
      reader = bodyReader
      text = await new Promise<string | undefined>((resolve, reject) => {
        stop = reject
        readText(bodyReader, maxBytes).then(resolve, reject)
      })
    }
  } catch (cause) {
    if (signal?.aborted) throw abortedError(signal, label, secrets)
    if (timedOut) {
      throw new PlexError('timeout', `${label}: no answer within ${timeoutMs} ms`)
    }
    throw new PlexError('network_error', `${label}: the request failed before Plex answered`, {
      cause: sanitizeCause(cause, secrets.forms),
    })
  } finally {
    clearTimeout(timer)
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
  if (text === undefined) {
    // Plex's answers are a few KB: a huge one is a broken or hostile upstream, and reading it whole
    // would let it exhaust our memory (and, as an error body, our CPU in the parser).
    throw new PlexError('invalid_response', `${label}: the answer is larger than ${maxBytes} bytes`, {
      status: response.status,
      response,
    })
  }
  return { response, text }
}

const utf8 = new TextDecoder()
const STREAM = { stream: true }

/**
 * The body as text, or undefined (and the stream cancelled) as soon as more than `maxBytes` arrived.
 * A small body is typically one chunk: it is decoded once by a shared decoder, with no per-call one.
 */
async function readText(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
): Promise<string | undefined> {
  const first = await reader.read()
  if (first.done) return ''
  let received = first.value.byteLength
  if (received > maxBytes) return tooLarge(reader)
  let chunk = await reader.read()
  // Not streaming, so the shared decoder keeps no state between calls.
  if (chunk.done) return utf8.decode(first.value)
  const decoder = new TextDecoder()
  let text = decoder.decode(first.value, STREAM)
  while (!chunk.done) {
    received += chunk.value.byteLength
    if (received > maxBytes) return tooLarge(reader)
    text += decoder.decode(chunk.value, STREAM)
    chunk = await reader.read()
  }
  return text + decoder.decode()
}

function tooLarge(reader: ReadableStreamDefaultReader<Uint8Array>): undefined {
  reader.cancel().catch(noop)
  return undefined
}

function noop(): void {}

function abortedError(signal: AbortSignal, label: string, secrets: LazySecrets): PlexError {
  return new PlexError('aborted', `${label}: aborted by the caller`, {
    cause: sanitizeCause(signal.reason, secrets.forms),
  })
}

function throwIfAborted(signal: AbortSignal | undefined, label: string, secrets: LazySecrets): void {
  if (signal?.aborted) throw abortedError(signal, label, secrets)
}

function sleep(
  ms: number,
  signal: AbortSignal | undefined,
  label: string,
  secrets: LazySecrets,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal, label, secrets))
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortedError(signal as AbortSignal, label, secrets))
    }
    const timer = setTimeout(() => {
      if (onAbort) signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * The validated JSON body of a 2xx answer. Checks the content type before parsing; a body that is not
 * the documented JSON is `invalid_response` (its text is never quoted: it may hold tokens).
 */
export function readJson<T>(exchange: PlexExchange, schema: v.GenericSchema<unknown, T>): T {
  const { response, text, label } = exchange
  const contentType = response.headers.get('content-type') ?? ''
  if (!/[/+]json\b/i.test(contentType)) {
    throw new PlexError(
      'invalid_response',
      `${label}: expected JSON, got ${contentType.split(';')[0] || 'no content type'}`,
      {
        status: response.status,
        response,
      },
    )
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new PlexError('invalid_response', `${label}: the body is not valid JSON`, {
      status: response.status,
      response,
    })
  }
  const result = safeParse(schema, body)
  if (!result.success) {
    // Only paths, never values: a value could be a token.
    const paths = result.issues.map(
      (issue) => issue.path?.map((item) => String(item.key)).join('.') || '(root)',
    )
    throw new PlexError(
      'invalid_response',
      `${label}: unexpected body at ${[...new Set(paths)].join(', ')}`,
      {
        status: response.status,
        response,
      },
    )
  }
  return result.output
}
