import { PlexError, type PlexErrorCode, type PlexErrorDetail, redact } from './errors.ts'
import { parsePlexErrorBody } from './plex-error-body.ts'

/** The PlexError for a non-2xx answer. `label` is e.g. `GET /api/v2/user` (never a query, never a token). */
export function errorFromResponse(
  response: Response,
  text: string,
  label: string,
  secrets: readonly string[],
  now: number = Date.now(),
): PlexError {
  const plexErrors = parsePlexErrorBody(text, response.headers.get('content-type')).map((entry) => ({
    ...entry,
    message: redact(entry.message, secrets),
  }))
  const status = response.status
  const code = codeForStatus(status, plexErrors)
  // Retry-After belongs to 429 and 503 (RFC 9110 §10.2.3); elsewhere it is not a promise about the service.
  const retryAfter =
    status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), now) : undefined
  const said = plexErrors[0]?.message
  const message = `${label}: Plex answered ${status}${said ? ` (${said})` : ''}`
  return new PlexError(code, message, { status, plexErrors, retryAfter, response })
}

function codeForStatus(status: number, plexErrors: PlexErrorDetail[]): PlexErrorCode {
  const plexCodes = plexErrors.map((entry) => entry.code)
  // Quirk: plex code 1097 "jwk missing": the device key is not (or no longer) registered, e.g. the device
  // was removed from Authorized Devices (clambin/mediaclients plex/plextv/errors.go). Its status is not
  // documented: any 4xx carrying it means the device's credential is gone, as with a revoked token (a 429 or
  // 5xx keeps its own meaning: try again later).
  if (plexCodes.includes(1097) && status >= 400 && status < 500 && status !== 429) return 'unauthorized'
  if (status === 400) return 'bad_request'
  // Quirk: a Home PIN refusal is 403 code 1041 on the current route; read the code at any 4xx (the older
  // route's statuses are not documented), so it never passes for a dead token.
  if (plexCodes.includes(1041) && status >= 400 && status < 500) return 'home_pin_required'
  if (status === 401) {
    // Quirk: plex.tv signals 2FA and lockout with a 401 and its own code, not another status.
    if (plexCodes.includes(1029)) return 'verification_code_required'
    if (plexCodes.includes(1031)) return 'locked_out'
    return 'unauthorized'
  }
  // Quirk: a Home user's missing or wrong PIN is a 403 with plex code 1041, demanded even from the admin.
  if (status === 403) return plexCodes.includes(1041) ? 'home_pin_required' : 'forbidden'
  if (status === 404) return 'not_found'
  if (status === 422) {
    // Quirk: registering a key that another device holds is a 422 told apart only by its message,
    // "thumbprint already taken" ...
    if (plexErrors.some((entry) => /thumbprint already taken/i.test(entry.message))) {
      return 'key_already_registered'
    }
    // ... while a revoked token gets 422 with XML `<errors><error>Invalid token</error></errors>`, and a
    // device JWT whose signature fails verification a 422 too: the credential was refused, not the request.
    return 'unauthorized'
  }
  if (status === 429) return 'rate_limited'
  // Quirk: an expired Plex JWT is 498, a status outside the HTTP registry (nginx's "token expired").
  if (status === 498) return 'token_expired'
  if (status >= 500) return 'upstream_error'
  if (status >= 400) return 'bad_request'
  // 1xx/3xx (we never follow redirects, so a token never travels to another host): not what Plex documents.
  return 'invalid_response'
}

/** `Retry-After` in whole seconds (rounded up), from either form: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  // Date.parse reads '-5' as a year: an HTTP date always names its month and zone in letters.
  const date = /[a-z]/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN
  if (Number.isNaN(date)) return undefined
  return Math.max(0, Math.ceil((date - now) / 1000))
}
