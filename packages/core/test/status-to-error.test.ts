import { describe, expect, it } from 'vitest'
import { errorFromResponse, parseRetryAfter } from '../src/status-to-error.ts'

const json = (status: number, errors: unknown[], headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify({ errors }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })

async function mapped(response: Response) {
  return errorFromResponse(response, await response.clone().text(), 'GET /x', [])
}

describe('errorFromResponse', () => {
  it('maps each status (and plex code) to its PlexError code', async () => {
    const cases: [Response, string][] = [
      [
        json(400, [{ code: 1000, message: 'X-Plex-Client-Identifier is missing', status: 400 }]),
        'bad_request',
      ],
      [json(401, [{ code: 1001, message: 'no', status: 401 }]), 'unauthorized'],
      [json(401, [{ code: 1029, message: 'code', status: 401 }]), 'verification_code_required'],
      [json(401, [{ code: 1031, message: 'locked', status: 401 }]), 'locked_out'],
      [
        new Response('<html>403</html>', { status: 403, headers: { 'content-type': 'text/html' } }),
        'forbidden',
      ],
      [json(404, [{ code: 1020, message: 'Code not found or expired', status: 404 }]), 'not_found'],
      [new Response('<errors><error>Invalid token</error></errors>', { status: 422 }), 'unauthorized'],
      [json(429, [{ code: 1003, message: 'API rate limit exceeded', status: 429 }]), 'rate_limited'],
      [json(403, [{ code: 1041, message: 'A valid PIN is required', status: 403 }]), 'home_pin_required'],
      [json(422, [{ message: 'thumbprint already taken', status: 422 }]), 'key_already_registered'],
      [json(422, [{ message: 'Signature verification failed', status: 422 }]), 'unauthorized'],
      [json(498, [{ message: 'Token expired', status: 498 }]), 'token_expired'],
      // Code 1097 "jwk missing" at whatever status plex.tv gives it: the device's key is gone.
      [json(400, [{ code: 1097, message: 'jwk missing', status: 400 }]), 'unauthorized'],
      [json(422, [{ code: 1097, message: 'jwk missing', status: 422 }]), 'unauthorized'],
      // ... but not a 429 or a 5xx: those keep their meaning (try again later).
      [json(429, [{ code: 1097, message: 'jwk missing', status: 429 }]), 'rate_limited'],
      [json(503, [{ code: 1097, message: 'jwk missing', status: 503 }]), 'upstream_error'],
      // Code 1041 is a Home PIN refusal at any 4xx: never a dead token.
      [json(401, [{ code: 1041, message: 'A valid PIN is required', status: 401 }]), 'home_pin_required'],
      [new Response('', { status: 498 }), 'token_expired'],
      [new Response('', { status: 409 }), 'bad_request'],
      [new Response('', { status: 500 }), 'upstream_error'],
      [new Response('', { status: 503 }), 'upstream_error'],
      [new Response(null, { status: 302 }), 'invalid_response'],
    ]
    for (const [response, code] of cases) {
      const error = await mapped(response)
      expect([response.status, error.code]).toEqual([response.status, code])
      expect(error.status).toBe(response.status)
    }
  })

  it('names the request and what Plex said, and sets retryAfter on 429 and 503 only', async () => {
    const error = await mapped(
      json(429, [{ code: 1003, message: 'API rate limit exceeded' }], { 'retry-after': '7' }),
    )
    expect(error.message).toBe('GET /x: Plex answered 429 (API rate limit exceeded)')
    expect(error.retryAfter).toBe(7)
    expect(
      (await mapped(new Response('', { status: 503, headers: { 'retry-after': '7' } }))).retryAfter,
    ).toBe(7)
    expect(
      (await mapped(new Response('', { status: 500, headers: { 'retry-after': '7' } }))).retryAfter,
    ).toBe(undefined)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z')
  it('reads seconds and HTTP dates, rounding up and never below zero', () => {
    expect(parseRetryAfter('30', now)).toBe(30)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10)
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter('-5', now)).toBeUndefined()
  })
})
