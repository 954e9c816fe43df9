/** JSON or XML bodies, chosen the way plex.tv and the PMS choose them. */

const JSON_TYPE = 'application/json; charset=utf-8'
const XML_TYPE = 'application/xml; charset=utf-8'

/** Quirk: both hosts answer XML unless the request says `Accept: application/json`. */
export function wantsJson(request: Request): boolean {
  return (request.headers.get('accept') ?? '').toLowerCase().includes('application/json')
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': JSON_TYPE, ...headers } })
}

/** A JSON request body as an object, or undefined (not JSON, or not an object). */
export async function jsonFields(request: Request): Promise<Record<string, unknown> | undefined> {
  const body = await request.json().catch(() => undefined)
  return body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined
}

export function xmlResponse(xml: string, status = 200): Response {
  return new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}\n`, {
    status,
    headers: { 'content-type': XML_TYPE },
  })
}

/** Answers `body` as JSON, or as XML under the element `rootName` when the caller did not ask for JSON. */
export function negotiated(request: Request, rootName: string, body: unknown, status = 200): Response {
  return wantsJson(request) ? jsonResponse(body, status) : xmlResponse(toXml(rootName, body), status)
}

export function escapeXml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
}

function singular(name: string): string {
  if (name.endsWith('ies')) return `${name.slice(0, -3)}y`
  if (name.endsWith('s')) return name.slice(0, -1)
  return name
}

/**
 * Plex-style XML: scalars become attributes (booleans as 1/0, null omitted), objects child elements,
 * arrays a wrapper element holding one element per item (scalars as `<item id="..."/>`), except
 * capitalised PMS keys (`Device`, `Connection`), whose items are repeated elements with no wrapper.
 */
export function toXml(name: string, value: unknown): string {
  if (Array.isArray(value)) {
    const item = singular(name)
    const children = value.map((entry) =>
      entry !== null && typeof entry === 'object'
        ? toXml(item, entry)
        : `<${item} id="${escapeXml(String(entry))}"/>`,
    )
    return `<${name}>${children.join('')}</${name}>`
  }
  if (value === null || typeof value !== 'object') {
    return `<${name} value="${escapeXml(String(value))}"/>`
  }
  const attributes: string[] = []
  const children: string[] = []
  for (const [key, entry] of Object.entries(value)) {
    if (entry === null || entry === undefined) continue
    if (Array.isArray(entry) && /^[A-Z]/.test(key)) children.push(...entry.map((item) => toXml(key, item)))
    else if (typeof entry === 'object') children.push(toXml(key, entry))
    else if (typeof entry === 'boolean') attributes.push(`${key}="${entry ? 1 : 0}"`)
    else attributes.push(`${key}="${escapeXml(String(entry))}"`)
  }
  const open = `<${name}${attributes.length > 0 ? ` ${attributes.join(' ')}` : ''}`
  return children.length > 0 ? `${open}>${children.join('')}</${name}>` : `${open}/>`
}

/** ISO 8601 without milliseconds, as plex.tv writes times. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
