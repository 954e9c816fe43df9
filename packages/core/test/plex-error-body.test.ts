import { describe, expect, it } from 'vitest'
import { parsePlexErrorBody } from '../src/plex-error-body.ts'

describe('parsePlexErrorBody', () => {
  it('reads the JSON form plex.tv sends with Accept: application/json', () => {
    const body = '{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}'
    expect(parsePlexErrorBody(body, 'application/json; charset=utf-8')).toEqual([
      { code: 1001, message: 'User could not be authenticated', status: 401 },
    ])
  })

  it('reads the XML attribute form, entities decoded', () => {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<errors>\n  <error code="1029" message="Please enter the &quot;code&quot; &amp; retry" status="401"/>\n</errors>'
    expect(parsePlexErrorBody(body, 'application/xml')).toEqual([
      { code: 1029, message: 'Please enter the "code" & retry', status: 401 },
    ])
  })

  it('reads the XML text form of a revoked token (422)', () => {
    expect(parsePlexErrorBody('<errors><error>Invalid token</error></errors>', 'text/xml')).toEqual([
      { message: 'Invalid token' },
    ])
  })

  it('finds nothing in the HTML pages of a Plex Media Server, nor in garbage', () => {
    const html = '<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>'
    expect(parsePlexErrorBody(html, 'text/html')).toEqual([])
    expect(parsePlexErrorBody('', null)).toEqual([])
    expect(parsePlexErrorBody('{"errors": nope', 'application/json')).toEqual([])
    expect(parsePlexErrorBody('{"error":"x"}', 'application/json')).toEqual([])
    expect(
      parsePlexErrorBody('{"errors":[null, 3, {"message": 5, "code": "12"}]}', 'application/json'),
    ).toEqual([{ message: '', code: 12 }])
  })

  it('keeps its reading of odd XML: an unclosed <error> skipped, <errors> and <errorCode> not errors', () => {
    const body =
      '<errors><errorCode>9</errorCode><error>never closed<error code="1" message=\'a &lt; b\'/></errors>'
    expect(parsePlexErrorBody(body, 'text/xml')).toEqual([{ code: 1, message: 'a < b' }])
    expect(parsePlexErrorBody('<errors><error>a</error><error message="b">c</error></errors>', null)).toEqual(
      [{ message: 'a' }, { message: 'b' }],
    )
  })

  it('reads hostile XML in linear time, at most 20 entries', () => {
    // Complexity checks, not benchmarks: the old regex scan took ~43 s on the first of these.
    const hostile = [
      `<errors>${'<error>'.repeat(160_000)}`,
      `<errors>${'<error '.repeat(160_000)}`,
      `<errors>${'<error a="'.repeat(110_000)}`,
      `<errors>${'<error a="'.repeat(110_000)}></error>`,
      `<errors><error ${'a'.repeat(1_100_000)}/></errors>`,
      `<errors><error a="${'b'.repeat(1_100_000)}/></errors>`,
      `<errors>${'<error/>'.repeat(140_000)}`,
    ]
    for (const body of hostile) {
      expect(body.length).toBeGreaterThan(1_000_000)
      const started = performance.now()
      const errors = parsePlexErrorBody(body, 'application/xml')
      expect(performance.now() - started, body.slice(0, 30)).toBeLessThan(1000)
      expect(errors.length).toBeLessThanOrEqual(20)
    }
    expect(parsePlexErrorBody(`<errors>${'<error/>'.repeat(140_000)}`, null)).toHaveLength(20)
  })
})
