import { describe, expect, it } from 'vitest'
import { createPlexClient, getTransientToken } from '../src/index.ts'
import { CLIENT_ID, everythingPrintable, PRODUCT, plexErrorOf, setup } from './helpers.ts'

describe('getTransientToken', () => {
  it('README example: GET {server}/security/token?type=delegation&scope=all with the token in a header', async () => {
    const { fake, alice, mainServer } = setup()
    const plex = createPlexClient({
      clientIdentifier: CLIENT_ID,
      product: PRODUCT,
      fetch: fake.fetch,
      serverUrl: mainServer.url,
      token: alice.token,
    })
    const { token } = await plex.getTransientToken({ type: 'delegation', scope: 'all' })

    expect(token).toEqual(expect.any(String))
    expect(token).not.toBe(alice.token)
    expect(fake.requests).toEqual([
      {
        method: 'GET',
        url: `${mainServer.url}/security/token?type=delegation&scope=all`,
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

  it('the transient token works on that server until it restarts', async () => {
    const { fake, options, alice, mainServer } = setup()
    const { token } = await getTransientToken({
      ...options,
      serverUrl: mainServer.url,
      token: alice.token,
      type: 'delegation',
      scope: 'all',
    })
    const source = `server://${mainServer.id}`
    const plex = createPlexClient({ ...options, serverUrl: mainServer.url })
    await expect(plex.getSourceConnectionInformation({ source, token })).resolves.toBeDefined()
    fake.restartServer(mainServer.id)
    await plexErrorOf(plex.getSourceConnectionInformation({ source, token }), 'unauthorized')
  })

  it('unauthorized (HTML 401: no plexErrors) for a token the server does not know', async () => {
    const { options, carol, mainServer } = setup()
    const error = await plexErrorOf(
      getTransientToken({
        ...options,
        serverUrl: mainServer.url,
        token: carol.token,
        type: 'delegation',
        scope: 'all',
      }),
      'unauthorized',
    )
    expect(error.status).toBe(401)
    expect(error.plexErrors).toEqual([])
  })

  it('forbidden (HTML 403) when a transient token tries to delegate again', async () => {
    const { options, alice, mainServer } = setup()
    const base = { ...options, serverUrl: mainServer.url, type: 'delegation', scope: 'all' } as const
    const { token } = await getTransientToken({ ...base, token: alice.token })
    await plexErrorOf(getTransientToken({ ...base, token }), 'forbidden')
  })

  it('bad_request (400) as the server sends it', async () => {
    const { fake, options, alice, mainServer } = setup()
    fake.inject({ kind: 'status', status: 400, body: '<html>Bad Request</html>', times: 1 })
    const error = await plexErrorOf(
      getTransientToken({
        ...options,
        serverUrl: mainServer.url,
        token: alice.token,
        type: 'delegation',
        scope: 'all',
      }),
      'bad_request',
    )
    expect(error.plexErrors).toEqual([])
  })

  it('invalid_input before any request: other type or scope, missing or bad serverUrl, no token', async () => {
    const { fake, options, alice, mainServer } = setup()
    const good = {
      ...options,
      serverUrl: mainServer.url,
      token: alice.token,
      type: 'delegation',
      scope: 'all',
    } as const
    const bad: unknown[] = [
      { ...good, type: 'access' },
      { ...good, scope: 'some' },
      { ...good, serverUrl: undefined },
      { ...good, serverUrl: 'plex.local:32400' },
      { ...good, serverUrl: `${mainServer.url}/?X-Plex-Token=abc` },
      { ...good, serverUrl: 'https://user:pass@example.com' },
      { ...good, token: undefined },
    ]
    for (const input of bad) {
      await plexErrorOf(getTransientToken(input as Parameters<typeof getTransientToken>[0]), 'invalid_input')
    }
    expect(fake.requests).toHaveLength(0)
  })

  // anthonycaccese/240-MP#240, nickelsh1ts/streamarr#322: media servers answer Plex JWTs with 401.
  it('jwt_not_accepted_by_server before any request when the token is a Plex JWT', async () => {
    const { fake, options, mainServer } = setup()
    const jwt = `${btoa('{"kid":"k","alg":"EdDSA","typ":"JWT"}').replaceAll('=', '')}.eyJpc3MiOiJwbGV4LnR2In0.c2ln`
    const error = await plexErrorOf(
      getTransientToken({
        ...options,
        serverUrl: mainServer.url,
        token: jwt,
        type: 'delegation',
        scope: 'all',
      }),
      'jwt_not_accepted_by_server',
    )
    expect(error.message).toContain('legacy plex.tv token')
    expect(everythingPrintable(error)).not.toContain(jwt)
    // Shapes that must not slip past: padding fetch would trim, `=` padding, a header without `alg`.
    const call = (token: string) =>
      getTransientToken({ ...options, serverUrl: mainServer.url, token, type: 'delegation', scope: 'all' })
    await plexErrorOf(call(` ${jwt}`), 'invalid_input')
    await plexErrorOf(call(`${jwt}\t`), 'invalid_input')
    await plexErrorOf(call(`${jwt.split('.')[0]}==.e30.c2ln`), 'jwt_not_accepted_by_server')
    await plexErrorOf(call(`${btoa('{"typ":"JWT"}')}.e30.c2ln`), 'jwt_not_accepted_by_server')
    expect(fake.requests).toHaveLength(0)
  })

  it('invalid_response when MediaContainer has no token', async () => {
    const { fake, options, alice, mainServer } = setup()
    fake.inject({ kind: 'status', status: 200, body: { MediaContainer: { size: 0 } }, times: 1 })
    await plexErrorOf(
      getTransientToken({
        ...options,
        serverUrl: mainServer.url,
        token: alice.token,
        type: 'delegation',
        scope: 'all',
      }),
      'invalid_response',
    )
  })
})
