import { describe, expect, it } from 'vitest'
import { createPlexClient, getTokenDetails, switchHomeUser } from '../src/index.ts'
import { CLIENT_ID, everythingPrintable, PRODUCT, plexErrorOf, setup } from './helpers.ts'

describe('getTokenDetails', () => {
  it('README example: GET https://plex.tv/api/v2/user with the token in a header only', async () => {
    const { fake, alice } = setup()
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const account = await plex.getTokenDetails({ token: alice.token })

    expect(account.username).toBe('alice')
    expect(fake.requests).toEqual([
      {
        method: 'GET',
        url: 'https://plex.tv/api/v2/user',
        headers: {
          accept: 'application/json',
          'x-plex-client-identifier': CLIENT_ID,
          'x-plex-product': PRODUCT,
          'x-plex-token': alice.token,
        },
        body: '',
      },
    ])
  })

  it('returns the account with the fields callers need, unknown fields and open enum values kept', async () => {
    const { options, alice } = setup()
    const account = await getTokenDetails({ ...options, token: alice.token })
    expect(account).toMatchObject({ id: alice.id, uuid: alice.uuid, username: 'alice', email: alice.email })
    // 'inactive' is in no spec's enum; certificateVersion, queueEmail, profile.mediaPostsVisibility in no spec at all.
    expect(account.mailingListStatus).toBe('inactive')
    expect(account.locale).toBeNull()
    expect(Object.keys(account)).toEqual(
      expect.arrayContaining(['certificateVersion', 'profile', 'services']),
    )
    expect((account.profile as Record<string, unknown>).mediaPostsVisibility).toBeDefined()
  })

  it('a managed Home user: username and email are null (a switched token)', async () => {
    const { options, alice } = setup()
    const kid = await switchHomeUser({
      ...options,
      token: alice.token,
      uuid: 'k1d5000000000k1d',
      pin: '1234',
    })
    const account = await getTokenDetails({ ...options, token: kid.authToken })
    expect(account).toMatchObject({ uuid: 'k1d5000000000k1d', title: 'Kids', username: null, email: null })
  })

  it('uses the client default token and plexTvUrl, call options winning', async () => {
    const { fake, options, alice, carol } = setup({ plexTvUrl: 'https://plex.example.test' })
    const plex = createPlexClient({ ...options, token: alice.token, plexTvUrl: 'https://plex.example.test/' })
    expect((await plex.getTokenDetails()).username).toBe('alice')
    expect((await plex.getTokenDetails({ token: carol.token })).username).toBe('carol')
    expect((await plex.getTokenDetails({ token: undefined })).username).toBe('alice')
    expect(fake.requests.map((request) => request.url)).toEqual(
      Array(3).fill('https://plex.example.test/api/v2/user'),
    )
  })

  it('unauthorized (401, plex code 1001) for an unknown token, without retrying', async () => {
    const { fake, options } = setup()
    const error = await plexErrorOf(
      getTokenDetails({ ...options, token: 'not-a-real-token-123' }),
      'unauthorized',
    )
    expect(error.status).toBe(401)
    expect(error.plexErrors).toEqual([
      { code: 1001, message: 'User could not be authenticated', status: 401 },
    ])
    expect(fake.requests).toHaveLength(1)
    expect(everythingPrintable(error)).not.toContain('not-a-real-token-123')
  })

  it('unauthorized for a revoked token (Plex quirk: 422 with an XML body, whatever Accept says)', async () => {
    const { fake, options, alice } = setup()
    fake.revokeToken(alice.token)
    const error = await plexErrorOf(getTokenDetails({ ...options, token: alice.token }), 'unauthorized')
    expect(error.status).toBe(422)
    expect(error.plexErrors).toEqual([{ message: 'Invalid token' }])
  })

  it('invalid_input before any request without a token or client identifier', async () => {
    const { fake, options } = setup()
    await plexErrorOf(getTokenDetails({ ...options }), 'invalid_input')
    await plexErrorOf(getTokenDetails({ ...options, token: '' }), 'invalid_input')
    await plexErrorOf(getTokenDetails({ ...options, clientIdentifier: '', token: 'x' }), 'invalid_input')
    await plexErrorOf(
      getTokenDetails({ ...options, plexTvUrl: 'ftp://plex.tv', token: 'x' }),
      'invalid_input',
    )
    await plexErrorOf(getTokenDetails({ ...options, plexTvUrl: 'not a url', token: 'x' }), 'invalid_input')
    expect(fake.requests).toHaveLength(0)
  })

  it('invalid_response for a 2xx that is not the documented JSON, never quoting the body', async () => {
    const { fake, options, alice } = setup()
    fake.inject({ kind: 'garbage', times: 1 })
    await plexErrorOf(getTokenDetails({ ...options, token: alice.token }), 'invalid_response')

    fake.inject({ kind: 'status', status: 200, body: { id: 'x', uuid: alice.token, username: 7 }, times: 1 })
    const error = await plexErrorOf(getTokenDetails({ ...options, token: alice.token }), 'invalid_response')
    expect(error.message).toContain('id')
    expect(everythingPrintable(error)).not.toContain(alice.token)

    fake.inject({
      kind: 'status',
      status: 200,
      body: '<html>hi</html>',
      headers: { 'content-type': 'text/html' },
      times: 1,
    })
    await plexErrorOf(getTokenDetails({ ...options, token: alice.token }), 'invalid_response')
  })
})
