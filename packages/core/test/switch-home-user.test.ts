import { describe, expect, it } from 'vitest'
import { createPlexClient, switchHomeUser } from '../src/index.ts'
import { CLIENT_ID, everythingPrintable, PRODUCT, plexErrorOf, setup } from './helpers.ts'

const KIDS = 'k1d5000000000k1d'
const DANA = 'da4a000000000da4'

describe('switchHomeUser', () => {
  it('README example: POST https://plex.tv/api/v2/home/users/{uuid}/switch?pin=1234; the user’s own token', async () => {
    const { fake, alice } = setup()
    const token = alice.token
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID, product: PRODUCT, fetch: fake.fetch })
    const kid = await plex.switchHomeUser({ token, uuid: KIDS, pin: '1234' })

    expect(kid).toMatchObject({ uuid: KIDS, title: 'Kids', username: null, email: null, restricted: true })
    expect(kid.authToken).toEqual(expect.any(String))
    expect(kid.authToken).not.toBe(token)
    expect(fake.requests).toEqual([
      {
        method: 'POST',
        url: `https://plex.tv/api/v2/home/users/${KIDS}/switch?pin=1234`,
        headers: {
          accept: 'application/json',
          'x-plex-client-identifier': CLIENT_ID,
          'x-plex-product': PRODUCT,
          'x-plex-token': token,
        },
        body: '',
      },
    ])
    await plex.ping({ token: kid.authToken })
    expect((await plex.getHomeUsers({ token: kid.authToken })).length).toBe(3)
  })

  it('home_pin_required (403, plex code 1041) without the PIN or with a wrong one, which never shows', async () => {
    const { options, alice } = setup()
    const missing = await plexErrorOf(
      switchHomeUser({ ...options, token: alice.token, uuid: KIDS }),
      'home_pin_required',
    )
    expect(missing.status).toBe(403)
    expect(missing.plexErrors[0]?.code).toBe(1041)
    const wrong = await plexErrorOf(
      switchHomeUser({ ...options, token: alice.token, uuid: KIDS, pin: '9876' }),
      'home_pin_required',
    )
    expect(everythingPrintable(wrong)).not.toContain('9876')
    const leaky = async (url: string): Promise<Response> => {
      throw new TypeError(`refused: ${url}`)
    }
    const failed = await plexErrorOf(
      switchHomeUser({ ...options, fetch: leaky, token: alice.token, uuid: KIDS, pin: '9876' }),
      'network_error',
    )
    expect(everythingPrintable(failed)).not.toContain('9876')
  })

  it('an unprotected user needs no PIN (no query); not_found outside the Home; never retried', async () => {
    const { fake, options, alice, bob } = setup()
    const dana = await switchHomeUser({ ...options, token: alice.token, uuid: DANA })
    expect(dana.uuid).toBe(DANA)
    expect(fake.requests[0]?.url).toBe(`https://plex.tv/api/v2/home/users/${DANA}/switch`)
    await plexErrorOf(switchHomeUser({ ...options, token: bob.token, uuid: KIDS, pin: '1234' }), 'not_found')
    fake.inject({ kind: 'status', status: 503, times: 1 })
    const before = fake.requests.length
    await plexErrorOf(
      switchHomeUser({ ...options, token: alice.token, uuid: DANA, retry: { retries: 3 } }),
      'upstream_error',
    )
    expect(fake.requests.length - before).toBe(1)
  })

  it('invalid_input for a uuid that could climb out of the path, an empty PIN or no token', async () => {
    const { fake, options, alice } = setup()
    for (const uuid of ['', '../../user', 'a/b', 'a?b']) {
      await plexErrorOf(switchHomeUser({ ...options, token: alice.token, uuid }), 'invalid_input')
    }
    await plexErrorOf(
      switchHomeUser({ ...options, token: alice.token, uuid: KIDS, pin: '' }),
      'invalid_input',
    )
    await plexErrorOf(switchHomeUser({ ...options, uuid: KIDS }), 'invalid_input')
    expect(fake.requests).toHaveLength(0)
  })
})

// Sources disagree on the route: the current spec has POST /api/v2/home/users/{uuid}/switch (JSON); python-plexapi
// and plex-for-kodi use POST /api/home/users/{id}/switch (numeric id, XML `authenticationToken`).
describe('switchHomeUser on the older route', () => {
  const stub = (answers: Record<string, () => Response>) => {
    const seen: string[] = []
    const fetch = async (input: RequestInfo | URL): Promise<Response> => {
      const url = new URL(String(input))
      seen.push(`${url.pathname}${url.search}`)
      return (answers[url.pathname] ?? (() => new Response('', { status: 404 })))()
    }
    return { seen, options: { clientIdentifier: CLIENT_ID, product: PRODUCT, fetch } }
  }
  const xml = (body: string) => () =>
    new Response(body, { status: 201, headers: { 'content-type': 'application/xml' } })

  it('a 404 from the current route with an id: one try of /api/home/users/{id}/switch, XML read', async () => {
    const { seen, options } = stub({
      '/api/home/users/10000011/switch': xml(
        '<?xml version="1.0"?><user id="10000011" uuid="k1d5000000000k1d" title="Kids &amp; co" restricted="1" protected="1" authenticationToken="KidT0kenFromV1Route"/>',
      ),
    })
    const kid = await switchHomeUser({
      ...options,
      token: 'AdminT0ken',
      uuid: KIDS,
      id: 10000011,
      pin: '1234',
    })
    expect(kid).toMatchObject({
      id: 10000011,
      uuid: KIDS,
      title: 'Kids & co',
      restricted: true,
      protected: true,
      authToken: 'KidT0kenFromV1Route',
    })
    expect(kid).not.toHaveProperty('authenticationToken')
    expect(seen).toEqual([
      `/api/v2/home/users/${KIDS}/switch?pin=1234`,
      '/api/home/users/10000011/switch?pin=1234',
    ])
  })

  it('without an id a 404 stays not_found; a <user> without a token is invalid_response; a bad id is refused', async () => {
    const { seen, options } = stub({ '/api/home/users/7/switch': xml('<user id="7" uuid="x"/>') })
    await plexErrorOf(switchHomeUser({ ...options, token: 'AdminT0ken', uuid: KIDS }), 'not_found')
    expect(seen).toHaveLength(1)
    await plexErrorOf(
      switchHomeUser({ ...options, token: 'AdminT0ken', uuid: KIDS, id: 7 }),
      'invalid_response',
    )
    await plexErrorOf(
      switchHomeUser({ ...options, token: 'AdminT0ken', uuid: KIDS, id: -1 }),
      'invalid_input',
    )
  })

  it('the older route’s answer must be the user asked for; comments and repeated attributes fool nothing', async () => {
    const asked = { token: 'AdminT0ken', uuid: KIDS, id: 10000011 }
    const other = stub({
      '/api/home/users/10000011/switch': xml(
        '<user id="10000011" uuid="someone-else" homeAdmin="1" authenticationToken="OtherT0ken"/>',
      ),
    })
    await plexErrorOf(switchHomeUser({ ...other.options, ...asked }), 'invalid_response')
    const tricky = stub({
      '/api/home/users/10000011/switch': xml(
        `<!-- <user id="10000011" uuid="${KIDS}" authenticationToken="EVIL"/> --><user.x authenticationToken="EVIL2"/>` +
          `<user id="10000011" uuid="${KIDS}" authenticationToken="KidT0ken" authenticationToken="EVIL3"/>`,
      ),
    })
    expect((await switchHomeUser({ ...tricky.options, ...asked })).authToken).toBe('KidT0ken')
    const unclosed = stub({
      '/api/home/users/10000011/switch': xml(
        `<!-- <user id="10000011" uuid="${KIDS}" authenticationToken="x"/>`,
      ),
    })
    await plexErrorOf(switchHomeUser({ ...unclosed.options, ...asked }), 'invalid_response')
  })

  it('a PIN refusal on the current route is not retried on the older one', async () => {
    const { fake, options, alice } = setup()
    await plexErrorOf(
      switchHomeUser({ ...options, token: alice.token, uuid: KIDS, id: 10000011 }),
      'home_pin_required',
    )
    expect(fake.requests).toHaveLength(1)
  })
})
