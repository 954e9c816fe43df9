import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { createPlexClient, postUsersSignInData } from '../src/index.ts'
import { signedInPlexAccountSchema } from '../src/post-users-sign-in-data.ts'
import { CLIENT_ID, everythingPrintable, PRODUCT, plexErrorOf, setup } from './helpers.ts'

describe('postUsersSignInData', () => {
  it('README example: POST a form to https://plex.tv/api/v2/users/signin, no token header', async () => {
    const { fake } = setup()
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const account = await plex.postUsersSignInData({ login: 'alice@example.com', password: 'alice-password' })

    expect(account.username).toBe('alice')
    expect(account.authToken).toMatch(/^\S{20}$/)
    expect(fake.requests).toEqual([
      {
        method: 'POST',
        url: 'https://plex.tv/api/v2/users/signin',
        headers: {
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
          'x-plex-client-identifier': CLIENT_ID,
          'x-plex-product': PRODUCT,
        },
        body: 'login=alice%40example.com&password=alice-password&rememberMe=false',
      },
    ])
  })

  it('accepts the 201 and returns a token that getTokenDetails accepts; sends rememberMe and the 2FA code', async () => {
    const { fake, options, bob } = setup()
    const plex = createPlexClient({ ...options, token: 'ignored-default-token' })
    const account = await plex.postUsersSignInData({
      login: 'bob',
      password: bob.password,
      rememberMe: true,
      verificationCode: bob.verificationCode,
    })
    expect(fake.requests[0]?.headers['x-plex-token']).toBeUndefined()
    expect(fake.requests[0]?.body).toBe(
      `login=bob&password=${bob.password}&rememberMe=true&verificationCode=${bob.verificationCode}`,
    )
    expect((await plex.getTokenDetails({ token: account.authToken })).username).toBe('bob')
  })

  it('unauthorized (401, code 1001) on a wrong password, which never appears in the error', async () => {
    const { options } = setup()
    const error = await plexErrorOf(
      postUsersSignInData({ ...options, login: 'alice', password: 'Wr0ng-Passw0rd!' }),
      'unauthorized',
    )
    expect(error.plexErrors[0]?.code).toBe(1001)
    expect(everythingPrintable(error)).not.toContain('Wr0ng-Passw0rd!')
  })

  it('verification_code_required (401, code 1029) for a 2FA account without its code', async () => {
    const { options, bob } = setup()
    const error = await plexErrorOf(
      postUsersSignInData({ ...options, login: 'bob', password: bob.password }),
      'verification_code_required',
    )
    expect(error.status).toBe(401)
    expect(error.plexErrors[0]?.code).toBe(1029)
  })

  it('locked_out (401, code 1031) after repeated failures from one IP', async () => {
    const { options, alice } = setup({ signInFailuresBeforeLockout: 2 })
    for (let i = 0; i < 2; i++) {
      await plexErrorOf(postUsersSignInData({ ...options, login: 'alice', password: 'nope' }), 'unauthorized')
    }
    const error = await plexErrorOf(
      postUsersSignInData({ ...options, login: 'alice', password: alice.password }),
      'locked_out',
    )
    expect(error.plexErrors[0]?.code).toBe(1031)
  })

  it('is never retried, whatever the failure', async () => {
    const { fake, options } = setup()
    const attempts = { retry: { retries: 5, minDelayMs: 0, maxDelayMs: 0 } }
    for (const fault of [
      { kind: 'network' as const },
      { kind: 'status' as const, status: 503 },
      { kind: 'status' as const, status: 429, headers: { 'retry-after': '0' } },
    ]) {
      fake.reset()
      fake.inject({ ...fault, times: 1 })
      await plexErrorOf(
        postUsersSignInData({ ...options, ...attempts, login: 'alice', password: 'alice-password' }),
      )
      expect(fake.requests).toHaveLength(1)
    }
  })

  it('invalid_input before any request: empty login, empty password, empty 2FA code', async () => {
    const { fake, options } = setup()
    await plexErrorOf(postUsersSignInData({ ...options, login: '', password: 'x' }), 'invalid_input')
    await plexErrorOf(postUsersSignInData({ ...options, login: '  ', password: 'x' }), 'invalid_input')
    await plexErrorOf(postUsersSignInData({ ...options, login: 'alice', password: '' }), 'invalid_input')
    await plexErrorOf(
      postUsersSignInData({ ...options, login: 'alice', password: 'x', verificationCode: '' }),
      'invalid_input',
    )
    expect(fake.requests).toHaveLength(0)
  })

  it('invalid_response when a 2xx carries no authToken', async () => {
    const { fake, options, alice } = setup()
    fake.inject({ kind: 'status', status: 201, body: { id: 1, uuid: 'u', username: 'alice' }, times: 1 })
    const error = await plexErrorOf(
      postUsersSignInData({ ...options, login: 'alice', password: alice.password }),
      'invalid_response',
    )
    expect(error.message).toContain('authToken')
  })

  it('its schema requires a non-empty authToken on top of the account', () => {
    expect(v.is(signedInPlexAccountSchema, { id: 1, uuid: 'u', username: 'a' })).toBe(false)
    expect(v.is(signedInPlexAccountSchema, { id: 1, uuid: 'u', username: 'a', authToken: '' })).toBe(false)
    expect(v.is(signedInPlexAccountSchema, { id: 1, uuid: 'u', username: 'a', authToken: 't' })).toBe(true)
  })
})
