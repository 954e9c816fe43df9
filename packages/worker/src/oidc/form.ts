/** The form of a back-channel OAuth request, or the OAuth error for one that is not a proper form. */
import type { Context } from 'hono'
import { readBodyText } from '../http/validation.ts'
import { oauthError } from './errors.ts'

/**
 * Reads an `application/x-www-form-urlencoded` body; a parameter sent twice is refused (RFC 6749 3.2).
 */
export async function readOAuthForm(c: Context): Promise<Record<string, string> | Response> {
  const type = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded')
    return oauthError(400, 'invalid_request', 'Send application/x-www-form-urlencoded.')
  const out: Record<string, string> = {}
  for (const [name, value] of new URLSearchParams(await readBodyText(c))) {
    if (name in out) return oauthError(400, 'invalid_request', 'A parameter was sent more than once.')
    if (value !== '') out[name] = value
  }
  return out
}
