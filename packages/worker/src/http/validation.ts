import type { Context } from 'hono'
import * as v from 'valibot'
import { ProblemError, type ProblemIssue } from './problem.ts'

type AnySchema = v.GenericSchema<unknown, unknown>

/** Describes an issue from the schema's side only: `issue.received` and `issue.input` are never used. */
function describe(issue: v.BaseIssue<unknown>): ProblemIssue {
  const path = (issue.path ?? []).map((item) => String(item.key)).join('.')
  let message: string
  if (issue.kind === 'schema' && issue.type === 'object' && issue.received === 'undefined')
    message = 'Required'
  else if (issue.expected) message = `Invalid ${issue.type}: expected ${issue.expected}`
  else message = `Invalid ${issue.type}`
  return { path, message }
}

/**
 * Validates `input` against `schema`; on failure throws a 400 `invalid_request` whose issues name the
 * path and what was expected, never the submitted value.
 */
export function validate<S extends AnySchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input)
  if (result.success) return result.output
  throw new ProblemError('invalid_request', 'The request is invalid.', {
    issues: result.issues.slice(0, 20).map(describe),
  })
}

function mediaType(c: Context): string | undefined {
  const header = c.req.header('Content-Type')
  return header ? header.split(';')[0]!.trim().toLowerCase() : undefined
}

/** Request bodies above this are refused with 413 (none of ours needs more than a few hundred bytes). */
export const MAX_BODY_BYTES = 16 * 1024

const tooLarge = () => new ProblemError('payload_too_large', 'The body is larger than 16 KB.')

/**
 * The body as UTF-8 text, refused with 413 past MAX_BODY_BYTES: at once when Content-Length says so, else
 * as soon as that much has streamed in (the rest is never read). Every route reads its body through here.
 * Decoded by hand: workerd warns when .text() reads a body whose type is not text/* (form-encoded).
 */
export async function readBodyText(c: Context): Promise<string> {
  if (Number(c.req.header('Content-Length')) > MAX_BODY_BYTES) throw tooLarge()
  const body = c.req.raw.body
  if (!body) return ''
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength
    if (size > MAX_BODY_BYTES) {
      reader.cancel().catch(() => {})
      throw tooLarge()
    }
    text += decoder.decode(chunk.value, { stream: true })
  }
  return text + decoder.decode()
}

/**
 * Reads a request body. JSON is required (or form-encoded where `form` is set): any other content type
 * is 415, which also keeps cross-site HTML forms from reaching JSON routes. With `optional`, a request
 * without a body reads as `{}`.
 */
export async function readBody(
  c: Context,
  options: { form?: boolean; optional?: boolean } = {},
): Promise<unknown> {
  const type = mediaType(c)
  const text = await readBodyText(c)
  if (type === undefined && text === '' && options.optional) return {}
  if (type === 'application/json') {
    if (text === '' && options.optional) return {}
    try {
      return JSON.parse(text)
    } catch {
      throw new ProblemError('invalid_request', 'The body is not valid JSON.', {
        issues: [{ path: '', message: 'Invalid JSON' }],
      })
    }
  }
  if (options.form && type === 'application/x-www-form-urlencoded') {
    const out: Record<string, string> = {}
    for (const [name, value] of new URLSearchParams(text)) if (!(name in out)) out[name] = value
    return out
  }
  throw new ProblemError(
    'unsupported_media_type',
    options.form ? 'Send application/json or application/x-www-form-urlencoded.' : 'Send application/json.',
  )
}

/** Reads the first value of each query parameter. */
export function readQuery(c: Context): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of new URL(c.req.url).searchParams) if (!(name in out)) out[name] = value
  return out
}
