/** Every error body the real hosts send, one quirk per function. */
import { escapeXml, jsonResponse, wantsJson, xmlResponse } from './wire.ts'

export interface PlexTvErrorDef {
  code?: number
  status: number
  message: string
}

/** The plex.tv error codes the fake produces (the table under "Errors" in packages/core/README.md). */
export const PLEX_TV_ERRORS = {
  clientIdentifierMissing: { code: 1000, message: 'X-Plex-Client-Identifier is missing', status: 400 },
  unauthenticated: { code: 1001, message: 'User could not be authenticated', status: 401 },
  rateLimited: { code: 1003, message: 'API rate limit exceeded', status: 429 },
  pinNotFound: { code: 1020, message: 'Code not found or expired', status: 404 },
  verificationCodeRequired: { code: 1029, message: 'Please enter the verification code', status: 401 },
  lockedOut: {
    code: 1031,
    message: 'Too many failed sign-in attempts from this IP address. Please try again later.',
    status: 401,
  },
  notFound: { message: 'Not Found', status: 404 },
  homePinRequired: { code: 1041, message: 'A valid PIN is required to perform this action', status: 403 },
  // The JWT endpoints' errors: Plex documents their statuses and messages, not plex codes.
  invalidJwk: { message: 'Invalid JWK', status: 400 },
  invalidJwt: { message: 'Invalid JWT', status: 400 },
  invalidNonce: { message: 'Invalid or expired nonce', status: 400 },
  signatureVerificationFailed: { message: 'Signature verification failed', status: 422 },
  thumbprintTaken: { message: 'thumbprint already taken', status: 422 },
  tokenExpired: { message: 'Token expired', status: 498 },
} as const satisfies Record<string, PlexTvErrorDef>

/**
 * Quirk: plex.tv errors are `{"errors":[{code,message,status}]}` with `Accept: application/json`,
 * and `<errors><error code=".." message=".." status=".."/></errors>` otherwise.
 * Quirk: 429 code 1003 comes without a Retry-After header; nothing here ever adds one.
 */
export function plexTvError(request: Request, error: PlexTvErrorDef): Response {
  if (wantsJson(request)) return jsonResponse({ errors: [error] }, error.status)
  const code = error.code === undefined ? '' : `code="${error.code}" `
  return xmlResponse(
    `<errors>\n  <error ${code}message="${escapeXml(error.message)}" status="${error.status}"/>\n</errors>`,
    error.status,
  )
}

/**
 * Quirk: GET /api/v2/user with a revoked token answers 422 with an XML body whose error has text and no
 * attributes, whatever the Accept header says.
 */
export function invalidTokenResponse(): Response {
  return xmlResponse('<errors>\n  <error>Invalid token</error>\n</errors>', 422)
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
}

/** Quirk: a Plex Media Server answers errors with a small HTML page, never JSON, whatever Accept says. */
export function pmsHtmlError(status: number): Response {
  const text = STATUS_TEXT[status] ?? 'Error'
  return new Response(
    `<html><head><title>${text}</title></head><body><h1>${status} ${text}</h1></body></html>`,
    { status, headers: { 'content-type': 'text/html' } },
  )
}
