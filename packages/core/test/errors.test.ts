import { describe, expect, it } from 'vitest'
import {
  getTokenDetails,
  isPlexError,
  PLEX_ERROR_CODES,
  PlexError,
  postUsersSignInData,
} from '../src/index.ts'
import { everythingPrintable, plexErrorOf, setup } from './helpers.ts'

describe('PlexError', () => {
  it('lists every code of the contract', () => {
    expect(PLEX_ERROR_CODES).toEqual([
      'invalid_input',
      'bad_request',
      'unauthorized',
      'verification_code_required',
      'locked_out',
      'forbidden',
      'not_found',
      'rate_limited',
      'upstream_error',
      'network_error',
      'timeout',
      'aborted',
      'invalid_response',
      'token_expired',
      'invalid_token',
      'home_pin_required',
      'key_already_registered',
      'jwt_not_accepted_by_server',
    ])
  })

  it('keeps the Response off enumerable properties and out of toJSON', async () => {
    const { options } = setup()
    const error = await plexErrorOf(getTokenDetails({ ...options, token: 'bad-token-value' }), 'unauthorized')
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('PlexError')
    expect(error.response).toBeInstanceOf(Response)
    expect(error.response?.status).toBe(401)
    expect(Object.keys(error)).not.toContain('response')
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'PlexError',
      code: 'unauthorized',
      message: 'GET /api/v2/user: Plex answered 401 (User could not be authenticated)',
      status: 401,
      plexErrors: [{ code: 1001, message: 'User could not be authenticated', status: 401 }],
    })
  })

  it('isPlexError narrows, optionally by code', () => {
    const error = new PlexError('timeout', 'slow')
    expect(isPlexError(error)).toBe(true)
    expect(isPlexError(error, 'timeout', 'aborted')).toBe(true)
    expect(isPlexError(error, 'aborted')).toBe(false)
    expect(isPlexError(new Error('x'))).toBe(false)
    expect(isPlexError(undefined)).toBe(false)
    // A PlexError from another copy of the package (dist next to src) is recognised too.
    const foreign = Object.assign(new Error('x'), { name: 'PlexError', code: 'not_found' })
    expect(isPlexError(foreign, 'not_found')).toBe(true)
    expect(isPlexError(Object.assign(new Error('x'), { name: 'PlexError', code: 'nope' }))).toBe(false)
  })
})

describe('no token or password in an error', () => {
  const token = 'Sup3rSecretT0kenValue'

  it('network errors whose message and cause name the token are sanitized, the cause kept readable', async () => {
    const fetch = async (): Promise<Response> => {
      throw new TypeError(`connect ECONNREFUSED https://plex.tv/?X-Plex-Token=${token}`, {
        cause: new Error(`socket for ${token} closed`),
      })
    }
    const error = await plexErrorOf(
      getTokenDetails({ clientIdentifier: 'c', token, fetch, retry: false }),
      'network_error',
    )
    expect(everythingPrintable(error)).not.toContain(token)
    expect(error.cause).toBeInstanceOf(Error)
    expect((error.cause as Error).name).toBe('TypeError')
    expect((error.cause as Error).message).toBe(
      'connect ECONNREFUSED https://plex.tv/?X-Plex-Token=[redacted]',
    )
    expect(((error.cause as Error).cause as Error).message).toBe('socket for [redacted] closed')
  })

  it('a cause that names no secret is passed through untouched', async () => {
    const original = new TypeError('fetch failed')
    const fetch = async (): Promise<Response> => {
      throw original
    }
    const error = await plexErrorOf(getTokenDetails({ clientIdentifier: 'c', token, fetch, retry: false }))
    expect(error.cause).toBe(original)
  })

  it('sign-in errors never show the password or 2FA code, even when the transport names them', async () => {
    const password = 'correct horse battery staple'
    const fetch = async (_url: string, init: RequestInit): Promise<Response> => {
      throw new Error(`could not send ${String(init.body)}`)
    }
    const error = await plexErrorOf(
      postUsersSignInData({
        clientIdentifier: 'c',
        fetch,
        login: 'alice',
        password,
        verificationCode: '654321',
      }),
      'network_error',
    )
    const printable = everythingPrintable(error)
    expect(printable).not.toContain(encodeURIComponent(password).replaceAll('%20', '+'))
    expect(printable).not.toContain('654321')
  })

  it('error bodies and abort reasons that echo the token are redacted', async () => {
    const { fake, options } = setup()
    fake.inject({
      kind: 'status',
      status: 401,
      body: { errors: [{ code: 1001, message: `token ${token} is not valid`, status: 401 }] },
      times: 1,
    })
    const error = await plexErrorOf(getTokenDetails({ ...options, token }), 'unauthorized')
    expect(error.plexErrors[0]?.message).toBe('token [redacted] is not valid')
    expect(everythingPrintable(error)).not.toContain(token)

    const aborted = await plexErrorOf(
      getTokenDetails({ ...options, token, signal: AbortSignal.abort(new Error(`stop ${token}`)) }),
      'aborted',
    )
    expect(everythingPrintable(aborted)).not.toContain(token)
  })
})
