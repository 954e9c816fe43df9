/** Every `code` a {@link PlexError} can carry. */
export const PLEX_ERROR_CODES = [
  'invalid_input',
  'bad_request',
  'unauthorized',
  'verification_code_required',
  'locked_out',
  'forbidden',
  'not_found',
  'rate_limited',
  'upstream_error',
  'network_error',
  'timeout',
  'aborted',
  'invalid_response',
  'token_expired',
  'invalid_token',
  'home_pin_required',
  'key_already_registered',
  'jwt_not_accepted_by_server',
] as const

/** One of {@link PLEX_ERROR_CODES}. */
export type PlexErrorCode = (typeof PLEX_ERROR_CODES)[number]

/** One `{code, message, status}` entry of a plex.tv error body (JSON or XML). */
export interface PlexErrorDetail {
  code?: number
  message: string
  status?: number
}

/** What a {@link PlexError} is built from. */
export interface PlexErrorOptions {
  status?: number
  plexErrors?: PlexErrorDetail[]
  retryAfter?: number
  cause?: unknown
  response?: Response
}

/** The JSON form of a {@link PlexError}: safe to log, never holds a token or password. */
export interface PlexErrorJSON {
  name: 'PlexError'
  code: PlexErrorCode
  message: string
  status?: number
  plexErrors: PlexErrorDetail[]
  retryAfter?: number
}

/**
 * The one error every operation throws.
 *
 * @example
 * try { await plex.getTokenDetails({ token }) } catch (error) {
 *   if (isPlexError(error, 'unauthorized')) forgetToken()
 * }
 */
export class PlexError extends Error {
  override readonly name = 'PlexError'
  readonly code: PlexErrorCode
  /** HTTP status of Plex's answer, when there was one. */
  readonly status?: number
  /** The entries of a plex.tv error body; empty for HTML bodies (the PMS) and for errors without an answer. */
  readonly plexErrors: PlexErrorDetail[]
  /** Seconds to wait before trying again (from `Retry-After`), on `rate_limited` errors. */
  readonly retryAfter?: number
  /** The Response, kept off the enumerable properties so loggers never print its headers. */
  declare readonly response?: Response

  constructor(code: PlexErrorCode, message: string, options: PlexErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status
    this.plexErrors = options.plexErrors ?? []
    this.retryAfter = options.retryAfter
    Object.defineProperty(this, 'response', { value: options.response, enumerable: false })
  }

  /** A plain object for logs and API answers: code, message, status, plexErrors, retryAfter. */
  toJSON(): PlexErrorJSON {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      plexErrors: this.plexErrors,
      retryAfter: this.retryAfter,
    }
  }
}

/**
 * Whether `value` is a {@link PlexError}, optionally with one of the given codes.
 *
 * @example
 * if (isPlexError(error, 'verification_code_required')) askForTheSixDigitCode()
 */
export function isPlexError(value: unknown, ...codes: PlexErrorCode[]): value is PlexError {
  // Not only instanceof: two copies of this package in one process (src and dist) must recognise each other.
  const isOne =
    value instanceof PlexError ||
    (value instanceof Error &&
      value.name === 'PlexError' &&
      (PLEX_ERROR_CODES as readonly unknown[]).includes((value as { code?: unknown }).code))
  return isOne && (codes.length === 0 || codes.includes((value as PlexError).code))
}

const REDACTED = '[redacted]'

/**
 * Each secret as it may appear in text: raw, percent-encoded, form-encoded (a sign-in body) and
 * JSON-escaped. Longest first, so a longer form is cut out before a shorter one inside it.
 */
export function secretForms(secrets: readonly (string | undefined)[]): string[] {
  const forms = new Set<string>()
  for (const secret of secrets) {
    if (!secret) continue
    forms.add(secret)
    forms.add(encodeURIComponent(secret))
    forms.add(new URLSearchParams({ s: secret }).toString().slice(2))
    forms.add(JSON.stringify(secret).slice(1, -1))
  }
  return [...forms].sort((a, b) => b.length - a.length)
}

/** Replaces every secret (token, password, 2FA code) in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text
  for (const secret of secrets) if (secret) result = result.split(secret).join(REDACTED)
  return result
}

function mentionsSecret(value: unknown, secrets: readonly string[], depth: number): boolean {
  if (depth > 4 || value === undefined || value === null) return false
  let text: string
  if (value instanceof Error) {
    text = `${value.name} ${value.message} ${value.stack ?? ''}`
    if (mentionsSecret(value.cause, secrets, depth + 1)) return true
  } else if (typeof value === 'object') {
    try {
      text = JSON.stringify(value) ?? ''
    } catch {
      text = String(value)
    }
  } else {
    text = String(value)
  }
  return secrets.some((secret) => secret && text.includes(secret))
}

/**
 * What may travel as a PlexError's `cause`: the original error when it does not mention a secret
 * (keeps `TypeError: fetch failed` and its own cause for debugging), else a copy with the secrets cut out.
 */
export function sanitizeCause(cause: unknown, secrets: readonly string[], depth = 0): unknown {
  if (!mentionsSecret(cause, secrets, 0)) return cause
  if (!(cause instanceof Error) || depth > 4) return REDACTED
  const copy = new Error(
    redact(cause.message, secrets),
    cause.cause === undefined ? undefined : { cause: sanitizeCause(cause.cause, secrets, depth + 1) },
  )
  copy.name = cause.name
  copy.stack = redact(cause.stack ?? '', secrets)
  return copy
}
