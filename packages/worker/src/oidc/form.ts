/** The form of a back-channel OAuth request, or the OAuth error for one that is not a proper form. */
import type { Context } from 'hono'
import { ProblemError } from '../http/problem.ts'
import { readBodyText } from '../http/validation.ts'
import { oauthError } from './errors.ts'

/**
 * Reads an `application/x-www-form-urlencoded` body; a parameter sent twice is refused (RFC 6749 3.2), a
 * body past 16 KB is 413, both as OAuth errors.
 */
export async function readOAuthForm(c: Context): Promise<Record<string, string> | Response> {
  const type = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded')
    return oauthError(400, 'invalid_request', 'Send application/x-www-form-urlencoded.')
  // Past 16 KB readBodyText throws the 413 problem: answered as OAuth's JSON here, which relying-party
  // libraries read, not problem+json. Anything else (a body that broke off) is not ours to rename.
  const text = await readBodyText(c).catch((error: unknown) => {
    if (error instanceof ProblemError) return undefined
    throw error
  })
  if (text === undefined) return oauthError(413, 'invalid_request', 'The body is larger than 16 KB.')
  const out: Record<string, string> = {}
  for (const [name, value] of new URLSearchParams(text)) {
    if (name in out) return oauthError(400, 'invalid_request', 'A parameter was sent more than once.')
    if (value !== '') out[name] = value
  }
  return out
}
