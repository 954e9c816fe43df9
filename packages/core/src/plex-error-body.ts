import type { PlexErrorDetail } from './errors.ts'

/**
 * The `{code, message, status}` entries of a Plex error body. Plex answers errors in three shapes;
 * each quirk is handled here and nowhere else.
 */
export function parsePlexErrorBody(text: string, contentType: string | null): PlexErrorDetail[] {
  const type = (contentType ?? '').toLowerCase()
  const trimmed = text.trimStart()
  // Quirk: plex.tv answers JSON `{"errors":[{"code":1001,"message":"...","status":401}]}` when asked
  // with Accept: application/json ...
  if (type.includes('json') || trimmed.startsWith('{')) return parseJsonErrors(trimmed)
  // ... but some paths (the 422 "Invalid token" of a revoked token) answer XML whatever we accept.
  if (trimmed.startsWith('<errors') || trimmed.startsWith('<?xml')) return parseXmlErrors(trimmed)
  // Quirk: a Plex Media Server answers errors with an HTML page that says nothing structured.
  return []
}

function parseJsonErrors(text: string): PlexErrorDetail[] {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return []
  }
  const errors = (body as { errors?: unknown } | null)?.errors
  if (!Array.isArray(errors)) return []
  const details: PlexErrorDetail[] = []
  for (const entry of errors) {
    if (typeof entry !== 'object' || entry === null) continue
    const { code, message, status } = entry as Record<string, unknown>
    details.push(detail(code, message, status))
  }
  return details
}

// Quirk: XML errors come in two forms: attributes, `<error code="1001" message="..." status="401"/>`,
// or text content only, `<error>Invalid token</error>` (the 422 of a revoked token).
// Scanned with indexOf, every character visited a bounded number of times: a regex over the whole body
// (`<error\b([^>]*?)(?:\/>|>([\s\S]*?)<\/error>)`) took 43 s on a megabyte of unclosed `<error>`s.
const MAX_XML_ERRORS = 20
// Every run of name characters is consumed, an attribute or not, so that no run is scanned again from
// each of its characters: the plain form (`name\s*=\s*value`) took seconds on a 64 KB start tag.
const XML_ATTRIBUTE = /([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'))?/g

function parseXmlErrors(text: string): PlexErrorDetail[] {
  const details: PlexErrorDetail[] = []
  // Whether a `</error>` is still ahead: once one is not, an element with content cannot be closed.
  let closable = true
  let from = 0
  while (details.length < MAX_XML_ERRORS) {
    const start = text.indexOf('<error', from)
    if (start < 0) break
    const nameEnd = start + '<error'.length
    // `<errors>` and `<errorCode>` are other elements.
    if (/\w/.test(text.charAt(nameEnd))) {
      from = nameEnd
      continue
    }
    const tagEnd = text.indexOf('>', nameEnd)
    if (tagEnd < 0) break
    from = tagEnd + 1
    const selfClosing = tagEnd > nameEnd && text.charCodeAt(tagEnd - 1) === 0x2f // '/'
    let content = ''
    if (!selfClosing) {
      const close = closable ? text.indexOf('</error>', from) : -1
      if (close < 0) {
        closable = false
        continue
      }
      content = text.slice(from, close)
      from = close + '</error>'.length
    }
    const attributes: Record<string, string> = {}
    for (const attribute of text.slice(nameEnd, selfClosing ? tagEnd - 1 : tagEnd).matchAll(XML_ATTRIBUTE)) {
      const value = attribute[2] ?? attribute[3]
      if (value !== undefined) attributes[attribute[1] ?? ''] = decodeXml(value)
    }
    details.push(detail(attributes.code, attributes.message ?? decodeXml(content.trim()), attributes.status))
  }
  return details
}

/**
 * The attributes of the first `<name ...>` start tag in an XML body (Plex's older routes answer one element
 * with everything in attributes), or undefined when there is none. Linear, like the error scan above.
 */
export function xmlStartTagAttributes(text: string, name: string): Record<string, string> | undefined {
  // Where the next comment and CDATA section open, found again only once passed: every search moves forward.
  const next = { comment: -2, cdata: -2 }
  let from = 0
  for (;;) {
    const start = text.indexOf(`<${name}`, from)
    if (start < 0) return undefined
    if (next.comment !== -1 && next.comment < from) next.comment = text.indexOf('<!--', from)
    if (next.cdata !== -1 && next.cdata < from) next.cdata = text.indexOf('<![CDATA[', from)
    // Inside a comment or a CDATA section, `<name` is text: go on after its end.
    const [opener, close] =
      next.comment >= 0 && next.comment < start && (next.cdata < 0 || next.comment < next.cdata)
        ? [next.comment, '-->']
        : next.cdata >= 0 && next.cdata < start
          ? [next.cdata, ']]>']
          : [-1, '']
    if (opener >= 0) {
      const closed = text.indexOf(close, opener + 4)
      if (closed < 0) return undefined
      from = closed + close.length
      continue
    }
    const nameEnd = start + name.length + 1
    from = nameEnd
    if (/[\w:.-]/.test(text.charAt(nameEnd))) continue
    const tagEnd = text.indexOf('>', nameEnd)
    if (tagEnd < 0) return undefined
    const attributes: Record<string, string> = {}
    for (const attribute of text.slice(nameEnd, tagEnd).matchAll(XML_ATTRIBUTE)) {
      const value = attribute[2] ?? attribute[3]
      const key = attribute[1] ?? ''
      // The first of a repeated attribute counts, as an XML parser that tolerates it would read it.
      if (value !== undefined && !(key in attributes)) attributes[key] = decodeXml(value)
    }
    return attributes
  }
}

function detail(code: unknown, message: unknown, status: unknown): PlexErrorDetail {
  const result: PlexErrorDetail = { message: typeof message === 'string' ? message : '' }
  const numericCode = toInteger(code)
  if (numericCode !== undefined) result.code = numericCode
  const numericStatus = toInteger(status)
  if (numericStatus !== undefined) result.status = numericStatus
  return result
}

function toInteger(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof number === 'number' && Number.isInteger(number) ? number : undefined
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const codePoint =
        entity[1] === 'x' || entity[1] === 'X'
          ? Number.parseInt(entity.slice(2), 16)
          : Number(entity.slice(1))
      return Number.isInteger(codePoint) && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : whole
    }
    return XML_ENTITIES[entity] ?? whole
  })
}
