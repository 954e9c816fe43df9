// GET /v1/forward-auth as each reverse proxy asks it: the requests below are what nginx auth_request,
// Traefik ForwardAuth and Caddy forward_auth send with the README's configurations ("Forward-auth").
import { beforeEach, describe, expect, it } from 'vitest'
import readme from '../../../../README.md?raw'
import { FORWARD_AUTH_HEADERS } from '../../src/routes/forward-auth.ts'
import { clearKv, expectProblem, type Harness, harness, json, MAIN_SERVER_ID, randomIp } from '../helpers.ts'

beforeEach(clearKv)

const DOMAIN_ENV = {
  SESSION_COOKIE_DOMAIN: 'example.com',
  FORWARD_AUTH_HOSTS: 'app.example.com,*.media.example.com',
}
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

/** Signs in through the worker's page (a cookie session) and returns the cookie as a browser would send it. */
async function signedInCookie(
  h: Harness,
  login = 'alice',
  env: Record<string, string> = DOMAIN_ENV,
): Promise<string> {
  const res = await h.request(
    '/v1/sign-in',
    {
      ...json({
        login,
        password: `${login}-password`,
        ...(login === 'bob' ? { verificationCode: '123456' } : {}),
      }),
      headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': randomIp() },
    },
    env,
  )
  expect(res.status).toBe(201)
  const setCookie = res.headers.get('Set-Cookie') ?? ''
  return setCookie.split(';')[0]!
}

/** What nginx sends: the original request's headers (Cookie, Accept), no X-Forwarded-Uri in the auth location. */
const nginx = (cookie?: string) => ({
  headers: {
    Accept: BROWSER_ACCEPT,
    'X-Original-URI': '/library?x=1',
    ...(cookie ? { Cookie: cookie } : {}),
  },
})
/** What Traefik ForwardAuth sends: the request's headers plus X-Forwarded-Method/Proto/Host/Uri/For. */
const traefik = (cookie?: string, host = 'app.example.com') => ({
  headers: {
    Accept: BROWSER_ACCEPT,
    'X-Forwarded-Method': 'GET',
    'X-Forwarded-Proto': 'https',
    'X-Forwarded-Host': host,
    'X-Forwarded-Uri': '/library?x=1',
    'X-Forwarded-For': '203.0.113.9',
    ...(cookie ? { Cookie: cookie } : {}),
  },
})
/** What Caddy forward_auth sends: X-Forwarded-Method and X-Forwarded-Uri beside reverse_proxy's X-Forwarded-*. */
const caddy = (cookie?: string) => ({
  headers: {
    Accept: BROWSER_ACCEPT,
    'X-Forwarded-Method': 'GET',
    'X-Forwarded-Uri': '/library?x=1',
    'X-Forwarded-Proto': 'https',
    'X-Forwarded-Host': 'tv.media.example.com',
    'X-Forwarded-For': '203.0.113.9',
    ...(cookie ? { Cookie: cookie } : {}),
  },
})

describe('GET /v1/forward-auth, as each proxy asks it', () => {
  for (const [proxy, request] of [
    ['nginx auth_request', nginx],
    ['Traefik ForwardAuth', traefik],
    ['Caddy forward_auth', caddy],
  ] as const) {
    it(`${proxy}: 200 with the user in X-Plex-* headers for a signed-in visitor`, async () => {
      const h = harness({ env: DOMAIN_ENV })
      const cookie = await signedInCookie(h)
      expect(cookie.startsWith('__Secure-plex_session=')).toBe(true)
      const res = await h.request('/v1/forward-auth', request(cookie))
      expect(res.status).toBe(200)
      expect(res.headers.get('X-Plex-User-Uuid')).toBe('a11ce0000000a11c')
      expect(res.headers.get('X-Plex-Username')).toBe('alice')
      expect(res.headers.get('X-Plex-Email')).toBe('alice@example.com')
      expect(res.headers.get('X-Plex-Role')).toBe('') // no access policy: no role, but the header is there
      expect(res.headers.get('Cache-Control')).toBe('no-store')
      expect(await res.text()).toBe('')
    })
  }

  it('nginx: no session is a 401 (nginx cannot pass a redirect on; its error_page sends the visitor to sign in)', async () => {
    const h = harness({ env: DOMAIN_ENV })
    await expectProblem(await h.request('/v1/forward-auth', nginx()), 401, 'unauthenticated')
  })

  it('Traefik and Caddy: no session sends a browser to the sign-in page, with where it was going', async () => {
    const h = harness({ env: DOMAIN_ENV })
    for (const [request, host] of [
      [traefik(), 'app.example.com'],
      [caddy(), 'tv.media.example.com'],
    ] as const) {
      const res = await h.request('/v1/forward-auth', request)
      expect(res.status).toBe(302)
      const location = new URL(res.headers.get('Location')!)
      expect(location.pathname).toBe('/')
      expect(location.searchParams.get('rd')).toBe(`https://${host}/library?x=1`)
    }
  })

  it('never a redirect to a host FORWARD_AUTH_HOSTS does not name, nor for a script (no HTML)', async () => {
    const h = harness({ env: DOMAIN_ENV })
    for (const host of [
      'evil.example',
      'example.com.evil.example',
      'media.example.com',
      'app.example.com@evil.example',
    ]) {
      await expectProblem(
        await h.request('/v1/forward-auth', traefik(undefined, host)),
        401,
        'unauthenticated',
      )
    }
    const script = traefik()
    script.headers.Accept = 'application/json'
    await expectProblem(await h.request('/v1/forward-auth', script), 401, 'unauthenticated')
  })

  it('with an access policy: the role in X-Plex-Role, and 403 for a user it leaves out', async () => {
    const env = {
      ...DOMAIN_ENV,
      PLEX_ACCESS_SERVERS: MAIN_SERVER_ID,
      PLEX_ACCESS_OWNER_ID: '10000001',
      PLEX_ACCESS_ROLES: 'owner,friend',
    }
    const h = harness({ env })
    const alice = await signedInCookie(h, 'alice', env)
    expect((await h.request('/v1/forward-auth', traefik(alice))).headers.get('X-Plex-Role')).toBe('owner')
    const bob = await signedInCookie(h, 'bob', env)
    expect((await h.request('/v1/forward-auth', caddy(bob))).headers.get('X-Plex-Role')).toBe('friend')
    // The operator narrows the policy: bob's session no longer passes, even before its next recheck.
    await expectProblem(
      await h.request('/v1/forward-auth', caddy(bob), { PLEX_ACCESS_ROLES: 'owner' }),
      403,
      'not_a_member',
    )
  })

  it('a forged or ended session is a 401, and the cookie name follows SESSION_COOKIE_DOMAIN', async () => {
    const h = harness({ env: DOMAIN_ENV })
    await expectProblem(
      await h.request('/v1/forward-auth', nginx(`__Secure-plex_session=${'A'.repeat(43)}`)),
      401,
      'unauthenticated',
    )
    const cookie = await signedInCookie(h)
    // Without SESSION_COOKIE_DOMAIN the worker reads only __Host-plex_session.
    await expectProblem(
      await h.request('/v1/forward-auth', nginx(cookie), { SESSION_COOKIE_DOMAIN: '' }),
      401,
      'unauthenticated',
    )
    const out = await h.request('/v1/sign-out', {
      method: 'POST',
      headers: { Cookie: cookie, Origin: 'https://app.example' },
    })
    expect(out.status).toBe(204)
    expect(out.headers.get('Set-Cookie')).toContain(
      '__Secure-plex_session=; Max-Age=0; Path=/; Domain=example.com;',
    )
    await expectProblem(await h.request('/v1/forward-auth', nginx(cookie)), 401, 'unauthenticated')
  })
})

describe('GET /v1/forward-auth, misuse', () => {
  it('every X-Plex-* header is sent, empty when unknown, so a client’s own copy never survives the proxy', async () => {
    const h = harness({ env: DOMAIN_ENV })
    const alice = await signedInCookie(h)
    const res = await h.request(
      '/v1/home/switch',
      {
        method: 'POST',
        headers: { Cookie: alice, Origin: 'https://app.example', 'Content-Type': 'application/json' },
        body: JSON.stringify({ uuid: 'da4a000000000da4' }),
      },
      DOMAIN_ENV,
    )
    expect(res.status).toBe(201)
    const dana = res.headers.get('Set-Cookie')!.split(';')[0]!
    const gate = await h.request('/v1/forward-auth', traefik(dana))
    expect(gate.status).toBe(200)
    expect(gate.headers.get('X-Plex-Username')).toBe('Dana')
    expect(gate.headers.get('X-Plex-Email')).toBe('') // a managed user has none: sent empty, never left out
  })

  it('an app’s own Authorization header (Basic, its own bearer) does not hide the session cookie', async () => {
    const h = harness({ env: DOMAIN_ENV })
    const cookie = await signedInCookie(h)
    for (const authorization of ['Basic YWxpY2U6cHc=', 'Bearer app-own-token']) {
      const request = traefik(cookie)
      const res = await h.request('/v1/forward-auth', {
        headers: { ...request.headers, Authorization: authorization },
      })
      expect([authorization, res.status]).toEqual([authorization, 200])
    }
  })
})

describe('GET /v1/forward-auth/return', () => {
  it('goes back to an allowed host only: no open redirect', async () => {
    const h = harness({ env: DOMAIN_ENV })
    const back = await h.request(
      `/v1/forward-auth/return?rd=${encodeURIComponent('https://app.example.com/x?y=1')}`,
    )
    expect(back.status).toBe(302)
    expect(back.headers.get('Location')).toBe('https://app.example.com/x?y=1')
    for (const rd of [
      'https://evil.example/',
      'http://app.example.com/',
      'https://user:pw@app.example.com/',
      '//evil.example/',
      'javascript:alert(1)',
      'https://app.example.com.evil.example/',
    ]) {
      await expectProblem(
        await h.request(`/v1/forward-auth/return?rd=${encodeURIComponent(rd)}`),
        400,
        'invalid_request',
      )
    }
    await expectProblem(await h.request('/v1/forward-auth/return'), 400, 'invalid_request')
  })
})

describe('the README configurations', () => {
  it('name the endpoint and copy every X-Plex-* header, for nginx, Traefik and Caddy', () => {
    const section = readme.slice(
      readme.indexOf('### Forward-auth'),
      readme.indexOf('\n### ', readme.indexOf('### Forward-auth') + 5),
    )
    for (const lang of ['nginx', 'yaml', 'caddyfile']) {
      const block = section.match(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``))?.[1] ?? ''
      expect(block, lang).toContain('/v1/forward-auth')
      for (const header of FORWARD_AUTH_HEADERS)
        expect(block.toLowerCase(), `${lang} ${header}`).toContain(
          header.toLowerCase().replaceAll('-', lang === 'nginx' ? '_' : '-'),
        )
    }
  })
})
