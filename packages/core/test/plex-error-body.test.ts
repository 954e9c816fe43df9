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
})
