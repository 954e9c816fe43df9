// The worker as an OpenID Connect provider, driven by a real relying party: openid-client (panva), as an
// app would use it, with its fetch pointed at the worker in-process.
import { env } from 'cloudflare:test'
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import * as oidc from 'openid-client'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createSessionStore } from '../../src/sessions/session-store.ts'
import { importEncryptionKey, type Keyring, keyring } from '../../src/sessions/token-crypto.ts'
import { clearKv, type Harness, harness, MAIN_SERVER_ID } from '../helpers.ts'

beforeEach(clearKv)

const ISSUER = 'https://worker.test'
const SECRET = 'grafana-secret-0123456789-abcdefghijklmnop'
const GRAFANA = {
  client_id: 'grafana',
  client_secret: SECRET,
  redirect_uris: ['https://grafana.example/login/generic_oauth'],
  post_logout_redirect_uris: ['https://grafana.example/login'],
  name: 'Grafana',
}
const SPA = { client_id: 'spa', redirect_uris: ['https://spa.example/callback'] }
const ALICE_UUID = 'a11ce0000000a11c'
/** alice's numeric account id (the fake's seed): the owner the access policy checks owned servers against. */
const ALICE_ID = '10000001'
const CLIENTS = JSON.stringify([GRAFANA, SPA])

function oidcHarness(env: Record<string, string> = {}, now?: () => number): Harness {
  return harness({ env: { OIDC_CLIENTS: CLIENTS, ...env }, ...(now ? { now } : {}) })
}

/** openid-client's fetch, answered by the worker in-process. */
function fetchOf(h: Harness): oidc.CustomFetch {
  return (url, options) =>
    h.request(url, {
      method: options.method,
      headers: options.headers,
      ...(options.body !== undefined ? { body: options.body as BodyInit } : {}),
      redirect: 'manual',
    })
}

async function discover(h: Harness, client: { client_id: string; client_secret?: string } = GRAFANA) {
  const config = await oidc.discovery(
    new URL(ISSUER),
    client.client_id,
    client.client_secret === undefined ? { token_endpoint_auth_method: 'none' } : client.client_secret,
    client.client_secret === undefined ? oidc.None() : undefined,
    { [oidc.customFetch]: fetchOf(h) },
  )
  config[oidc.customFetch] = fetchOf(h)
  return config
}

/** Signs alice (or `login`) in and returns her session cookie. */
async function cookieOf(h: Harness, login = 'alice'): Promise<string> {
  const { token } = await h.signIn(login)
  return `__Host-plex_session=${token}`
}

/** The browser's trip to the authorization endpoint with a session cookie: where it is sent. */
async function authorize(
  h: Harness,
  url: URL,
  cookie?: string,
  env: Record<string, string> = {},
): Promise<URL> {
  const res = await h.request(url.href, { headers: cookie ? { Cookie: cookie } : {} }, env)
  expect(res.status, await res.clone().text()).toBe(302)
  return new URL(res.headers.get('Location')!)
}

async function startFlow(config: oidc.Configuration, redirectUri = GRAFANA.redirect_uris[0]!) {
  const verifier = oidc.randomPKCECodeVerifier()
  const nonce = oidc.randomNonce()
  const state = oidc.randomState()
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
  })
  return { verifier, nonce, state, url }
}

/** A whole sign-in: authorize with alice's session, then the code for tokens. */
async function signInWith(h: Harness, config: oidc.Configuration, cookie: string) {
  const flow = await startFlow(config)
  const callback = await authorize(h, flow.url, cookie)
  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: flow.verifier,
    expectedNonce: flow.nonce,
    expectedState: flow.state,
    idTokenExpected: true,
  })
  return { tokens, flow, callback }
}

/** A raw token request (for what openid-client would refuse to send). */
function tokenRequest(h: Harness, form: Record<string, string>, headers: Record<string, string> = {}) {
  return h.request(`${ISSUER}/v1/oidc/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  })
}

const basic = (id: string, secret: string): Record<string, string> => ({
  Authorization: `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`,
})

describe('discovery and keys', () => {
  it('passes openid-client discovery: issuer, endpoints, RS256, S256, iss in the authorization response', async () => {
    const h = oidcHarness()
    const config = await discover(h)
    const meta = config.serverMetadata()
    expect(meta.issuer).toBe(ISSUER)
    expect(meta.authorization_endpoint).toBe(`${ISSUER}/v1/oidc/authorize`)
    expect(meta.id_token_signing_alg_values_supported).toEqual(['RS256'])
    expect(meta.code_challenge_methods_supported).toEqual(['S256'])
    expect(meta.authorization_response_iss_parameter_supported).toBe(true)
    // Public, so readable from any origin: a browser app's library fetches both.
    const discovery = await h.request(`${ISSUER}/.well-known/openid-configuration`, {
      headers: { Origin: 'https://spa.example' },
    })
    expect(discovery.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(discovery.headers.get('Access-Control-Allow-Credentials')).toBeNull()
    const jwksRes = await h.request(`${ISSUER}/v1/oidc/jwks`, { headers: { Origin: 'https://spa.example' } })
    expect(jwksRes.headers.get('Access-Control-Allow-Origin')).toBe('*')
    const jwks = (await jwksRes.json()) as { keys: Record<string, unknown>[] }
    expect(jwks.keys).toHaveLength(1)
    for (const field of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwks.keys[0]).not.toHaveProperty(field)
  })

  it('OIDC_ISSUER names the issuer and every endpoint', async () => {
    const h = oidcHarness({ OIDC_ISSUER: 'https://auth.example.com' })
    const res = await h.request(`${ISSUER}/.well-known/openid-configuration`)
    const meta = (await res.json()) as Record<string, string>
    expect(meta.issuer).toBe('https://auth.example.com')
    expect(meta.token_endpoint).toBe('https://auth.example.com/v1/oidc/token')
  })

  it('is off (404) without OIDC_CLIENTS; an invalid OIDC_CLIENTS is misconfigured, named, never shown', async () => {
    const off = harness()
    expect((await off.request(`${ISSUER}/.well-known/openid-configuration`)).status).toBe(404)
    const h = oidcHarness({
      OIDC_CLIENTS: '[{"client_id":"x","client_secret":"short-SECRETVALUE","redirect_uris":["https://a"]}]',
    })
    const res = await h.request(`${ISSUER}/.well-known/openid-configuration`)
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(text).toContain('OIDC_CLIENTS')
    expect(text).not.toContain('SECRETVALUE')
    const bad = await oidcHarness({ OIDC_SIGNING_KEYS: 'not json' }).request(`${ISSUER}/v1/oidc/jwks`)
    expect(await bad.text()).toContain('OIDC_SIGNING_KEYS')
  })

  it('isolates generating a key at the same moment agree on one: the first offered to the Durable Object', async () => {
    const ring = keyring((await importEncryptionKey(env.TOKEN_ENCRYPTION_KEY!))!)
    // Two isolates: separate stores (no shared memory), one KV namespace, one arbiter (a fresh instance).
    const arbiter = env.OIDC_GRANTS!.get(
      env.OIDC_GRANTS!.idFromName(`signing-key-test:${crypto.randomUUID()}`),
    )
    const isolate = (kid: string) =>
      createSessionStore(env.PLEX_AUTH_KV!, ring, Date.now).oidcSigningKey({
        generate: async () => ({ kty: 'RSA', kid }),
        claim: (sealed) => arbiter.claimSigningKey(sealed),
      })
    const [a, b] = await Promise.all([isolate('first'), isolate('second')])
    expect(a).toEqual(b)
    // KV has it now (sealed: the kid is not in plaintext); a third isolate reads it without generating.
    const sealed = await env.PLEX_AUTH_KV!.get('oidc:signing-key')
    expect(sealed).not.toContain((a as unknown as { kid: string }).kid)
    const third = await createSessionStore(env.PLEX_AUTH_KV!, ring, Date.now).oidcSigningKey({
      generate: () => Promise.reject(new Error('must not generate')),
      claim: () => Promise.reject(new Error('must not claim')),
    })
    expect(third).toEqual(a)
  })

  it('a generated key whose TOKEN_ENCRYPTION_KEY is gone is replaced, once, by agreement', async () => {
    const arbiter = env.OIDC_GRANTS!.get(
      env.OIDC_GRANTS!.idFromName(`signing-key-test:${crypto.randomUUID()}`),
    )
    const isolate = (ring: Keyring, kid: string) =>
      createSessionStore(env.PLEX_AUTH_KV!, ring, Date.now).oidcSigningKey({
        generate: async () => ({ kty: 'RSA', kid }),
        claim: (sealed, replacing) => arbiter.claimSigningKey(sealed, replacing),
      })
    const before = keyring((await importEncryptionKey(env.TOKEN_ENCRYPTION_KEY!))!)
    expect(await isolate(before, 'old')).toMatchObject({ kid: 'old' })
    // A rotation that dropped the old key: what KV and the arbiter hold no longer opens.
    const after = keyring((await importEncryptionKey(btoa('another-32-byte-key-for-rotation')))!)
    const [a, b] = await Promise.all([isolate(after, 'new-1'), isolate(after, 'new-2')])
    expect(a).toEqual(b)
    expect((a as unknown as { kid: string }).kid).toMatch(/^new-/)
  })

  it('OIDC_SIGNING_KEYS: the first signs, every one is published (rotation)', async () => {
    const keys = [
      // Made as the README's one-liner makes it (WebCrypto's export, with alg, ext and key_ops).
      {
        ...(await crypto.subtle.exportKey(
          'jwk',
          (
            (await crypto.subtle.generateKey(
              {
                name: 'RSASSA-PKCS1-v1_5',
                modulusLength: 2048,
                publicExponent: new Uint8Array([1, 0, 1]),
                hash: 'SHA-256',
              },
              true,
              ['sign'],
            )) as CryptoKeyPair
          ).privateKey,
        )),
        kid: 'new',
      },
      {
        ...(await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)),
        kid: 'old',
      },
    ]
    const h = oidcHarness({ OIDC_SIGNING_KEYS: JSON.stringify(keys) })
    const jwks = (await (await h.request(`${ISSUER}/v1/oidc/jwks`)).json()) as { keys: { kid: string }[] }
    expect(jwks.keys.map((k) => k.kid)).toEqual(['new', 'old'])
    const config = await discover(h)
    const { tokens } = await signInWith(h, config, await cookieOf(h))
    const header = JSON.parse(atob(tokens.id_token!.split('.')[0]!.replaceAll('-', '+').replaceAll('_', '/')))
    expect(header).toMatchObject({ alg: 'RS256', kid: 'new' })
  })
})

describe('the authorization code flow', () => {
  it('code + PKCE: a verified id_token (JWKS signature, iss, aud, nonce), userinfo with the same claims', async () => {
    const h = oidcHarness()
    const config = await discover(h)
    oidc.enableNonRepudiationChecks(config)
    const { tokens, flow, callback } = await signInWith(h, config, await cookieOf(h))
    expect(callback.searchParams.get('iss')).toBe(ISSUER)
    expect(callback.searchParams.get('state')).toBe(flow.state)
    const claims = tokens.claims()!
    expect(claims).toMatchObject({ iss: ISSUER, aud: 'grafana', sub: ALICE_UUID, nonce: flow.nonce })
    expect(claims.email).toBe('alice@example.com')
    expect(claims.email_verified).toBe(true)
    expect(typeof claims.auth_time).toBe('number')
    // And by hand, with jose, against the published keys: RS256 only.
    const jwks = createLocalJWKSet(await (await h.request(`${ISSUER}/v1/oidc/jwks`)).json())
    const { payload } = await jwtVerify(tokens.id_token!, jwks, {
      issuer: ISSUER,
      audience: 'grafana',
      algorithms: ['RS256'],
    })
    expect(payload.sub).toBe(ALICE_UUID)
    const info = await oidc.fetchUserInfo(config, tokens.access_token, ALICE_UUID)
    // The same by POST (OpenID Connect Core 5.3.1).
    const posted = await h.request(`${ISSUER}/v1/oidc/userinfo`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    })
    expect(await posted.json()).toEqual(info)
    expect(info).toMatchObject({
      sub: ALICE_UUID,
      email: 'alice@example.com',
      preferred_username: claims.preferred_username,
    })
    expect(tokens.refresh_token).toBeDefined()
  })

  it('a public client with PKCE; without PKCE it is sent back with invalid_request', async () => {
    const h = oidcHarness()
    const config = await discover(h, SPA)
    const cookie = await cookieOf(h)
    const flow = await startFlow(config, SPA.redirect_uris[0])
    const callback = await authorize(h, flow.url, cookie)
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.verifier,
      expectedNonce: flow.nonce,
      expectedState: flow.state,
    })
    expect(tokens.claims()?.aud).toBe('spa')
    const noPkce = new URL(flow.url)
    noPkce.searchParams.delete('code_challenge')
    noPkce.searchParams.delete('code_challenge_method')
    const refused = await authorize(h, noPkce, cookie)
    expect(refused.origin + refused.pathname).toBe(SPA.redirect_uris[0])
    expect(refused.searchParams.get('error')).toBe('invalid_request')
    expect(refused.searchParams.has('code')).toBe(false)
  })

  it('without a session: to the sign-in page, which comes back to this same request', async () => {
    const h = oidcHarness()
    const config = await discover(h)
    const flow = await startFlow(config)
    const signIn = await authorize(h, flow.url)
    expect(signIn.origin + signIn.pathname).toBe(`${ISSUER}/`)
    const back = new URL(signIn.searchParams.get('oidc')!, ISSUER)
    expect(back.href).toBe(flow.url.href)
    const none = new URL(flow.url)
    none.searchParams.set('prompt', 'none')
    expect((await authorize(h, none)).searchParams.get('error')).toBe('login_required')
  })

  it('unknown client_id or unregistered redirect_uri: an error page, never a redirect', async () => {
    const h = oidcHarness()
    const config = await discover(h)
    const cookie = await cookieOf(h)
    const flow = await startFlow(config)
    for (const [name, value] of [
      ['client_id', 'stranger'],
      ['redirect_uri', 'https://evil.example/steal'],
      ['redirect_uri', `${GRAFANA.redirect_uris[0]}/extra`],
      ['redirect_uri', GRAFANA.redirect_uris[0]!.toUpperCase()],
    ]) {
      const url = new URL(flow.url)
      url.searchParams.set(name!, value!)
      const res = await h.request(url.href, { headers: { Cookie: cookie } })
      expect(res.status).toBe(400)
      expect(res.headers.get('Location')).toBeNull()
      expect(res.headers.get('Content-Type')).toMatch(/^text\/html/)
      expect(await res.text()).not.toContain('evil')
    }
  })

  it('with an access policy, groups and plex_role carry the role, in the ID token and userinfo', async () => {
    const h = oidcHarness({ PLEX_ACCESS_SERVERS: MAIN_SERVER_ID, PLEX_ACCESS_OWNER_ID: ALICE_ID })
    const config = await discover(h)
    const { tokens } = await signInWith(h, config, await cookieOf(h))
    expect(tokens.claims()).toMatchObject({ groups: ['owner'], plex_role: 'owner' })
    const info = await oidc.fetchUserInfo(config, tokens.access_token, ALICE_UUID)
    expect(info).toMatchObject({ groups: ['owner'], plex_role: 'owner' })
    // Without a policy there is no role to tell.
    const open = oidcHarness()
    const plain = await signInWith(open, await discover(open), await cookieOf(open))
    expect(plain.tokens.claims()).not.toHaveProperty('groups')
  })

  it('a non-member is sent back with error=access_denied (policy), as is a refused sign-in (cancel)', async () => {
    const h = oidcHarness()
    const config = await discover(h)
    const carol = await cookieOf(h, 'carol')
    const flow = await startFlow(config)
    const denied = await authorize(h, flow.url, carol, {
      PLEX_ACCESS_SERVERS: MAIN_SERVER_ID,
      PLEX_ACCESS_OWNER_ID: ALICE_ID,
    })
    expect(denied.searchParams.get('error')).toBe('access_denied')
    expect(denied.searchParams.get('state')).toBe(flow.state)
    expect(denied.searchParams.has('code')).toBe(false)
    const cancel = new URL(flow.url)
    cancel.pathname = '/v1/oidc/authorize/cancel'
    expect((await authorize(h, cancel)).searchParams.get('error')).toBe('access_denied')
  })
})

describe('the token endpoint', () => {
  it('a code is single-use: of two concurrent redemptions exactly one wins, and a reuse revokes the grant', async () => {
    const h = oidcHarness()
    const config = await discover(h)
    const flow = await startFlow(config)
    const callback = await authorize(h, flow.url, await cookieOf(h))
    const form = {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: GRAFANA.redirect_uris[0]!,
      code_verifier: flow.verifier,
    }
    const answers = await Promise.all([1, 2].map(() => tokenRequest(h, form, basic('grafana', SECRET))))
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400])
    const winner = (await answers.find((r) => r.status === 200)!.json()) as { access_token: string }
    const loser = (await answers.find((r) => r.status === 400)!.json()) as { error: string }
    expect(loser.error).toBe('invalid_grant')
    // A third try: the code was stolen, so what it gave is revoked too.
    expect((await tokenRequest(h, form, basic('grafana', SECRET))).status).toBe(400)
    await expect(oidc.fetchUserInfo(config, winner.access_token, ALICE_UUID)).rejects.toThrow()
  })

  it('refuses a wrong secret, an unknown client, a wrong verifier, another redirect_uri, an expired code', async () => {
    let now = Date.now()
    const h = oidcHarness({}, () => now)
    const config = await discover(h)
    const cookie = await cookieOf(h)
    const codeFor = async () => {
      const flow = await startFlow(config)
      const callback = await authorize(h, flow.url, cookie)
      return { code: callback.searchParams.get('code')!, verifier: flow.verifier }
    }
    const redeem = (
      code: string,
      verifier: string,
      extra: Record<string, string> = {},
      auth = basic('grafana', SECRET),
    ) =>
      tokenRequest(
        h,
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: GRAFANA.redirect_uris[0]!,
          code_verifier: verifier,
          ...extra,
        },
        auth,
      )

    const a = await codeFor()
    const wrongSecret = await redeem(a.code, a.verifier, {}, basic('grafana', `${SECRET}x`))
    expect(wrongSecret.status).toBe(401)
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' })
    const post = await redeem(a.code, a.verifier, { client_id: 'grafana', client_secret: 'wrong' }, {})
    expect(post.status).toBe(401)
    const unknown = await redeem(a.code, a.verifier, {}, basic('stranger', SECRET))
    expect(await unknown.json()).toMatchObject({ error: 'invalid_client' })
    // client_secret_post works, with the code untouched by the refused attempts above.
    expect(
      (await redeem(a.code, a.verifier, { client_id: 'grafana', client_secret: SECRET }, {})).status,
    ).toBe(200)

    const b = await codeFor()
    expect(await (await redeem(b.code, oidc.randomPKCECodeVerifier())).json()).toMatchObject({
      error: 'invalid_grant',
    })
    // A code that failed a check is burned.
    expect((await redeem(b.code, b.verifier)).status).toBe(400)

    const c = await codeFor()
    expect((await redeem(c.code, c.verifier, { redirect_uri: 'https://grafana.example/other' })).status).toBe(
      400,
    )

    const d = await codeFor()
    now += 61_000
    expect(await (await redeem(d.code, d.verifier)).json()).toMatchObject({ error: 'invalid_grant' })
  })

  it('a form past 16 KB is refused (413, as an OAuth error) before it is read whole, streamed or declared', async () => {
    const h = oidcHarness()
    // RFC 6749 5.2's JSON, what relying-party libraries read, not problem+json.
    const oauthTooLarge = async (res: Response) => {
      expect(res.status).toBe(413)
      expect(res.headers.get('Content-Type')).toMatch(/^application\/json\b/)
      expect(await res.json()).toEqual({
        error: 'invalid_request',
        error_description: 'The body is larger than 16 KB.',
      })
    }
    await oauthTooLarge(
      await tokenRequest(
        h,
        { grant_type: 'authorization_code', code: 'x'.repeat(17 * 1024) },
        basic('grafana', SECRET),
      ),
    )
    await oauthTooLarge(
      await h.request(`${ISSUER}/v1/oidc/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...basic('grafana', SECRET) },
        body: new URLSearchParams({ token: 'x'.repeat(17 * 1024) }),
      }),
    )
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new TextEncoder().encode(`a${'b'.repeat(1023)}&`))
      },
    })
    const streamed = await h.request(`${ISSUER}/v1/oidc/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...basic('grafana', SECRET) },
      body: endless,
    })
    await oauthTooLarge(streamed)
    // An endless body: the worker stopped reading just past the limit.
    expect(pulled).toBeLessThan(40)
  })

  it('refresh tokens rotate; a replayed one revokes the whole family', async () => {
    const h = oidcHarness()
    const config = await discover(h)
    const { tokens } = await signInWith(h, config, await cookieOf(h))
    const first = tokens.refresh_token!
    const second = await oidc.refreshTokenGrant(config, first)
    expect(second.refresh_token).toBeDefined()
    expect(second.refresh_token).not.toBe(first)
    expect(second.claims()?.sub).toBe(ALICE_UUID)
    // Replay: the old one again. Refused, and the family is gone: the new refresh and access tokens too.
    await expect(oidc.refreshTokenGrant(config, first)).rejects.toMatchObject({ error: 'invalid_grant' })
    await expect(oidc.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    await expect(oidc.fetchUserInfo(config, second.access_token, ALICE_UUID)).rejects.toThrow()
  })

  it('revocation (RFC 7009) and sign-out end the tokens; another client cannot revoke them', async () => {
    const h = oidcHarness()
    const config = await discover(h)
    const cookie = await cookieOf(h)
    const { tokens } = await signInWith(h, config, cookie)
    const spa = await discover(h, SPA)
    await oidc.tokenRevocation(spa, tokens.refresh_token!)
    expect((await oidc.fetchUserInfo(config, tokens.access_token, ALICE_UUID)).sub).toBe(ALICE_UUID)
    await oidc.tokenRevocation(config, tokens.refresh_token!)
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })

    const again = await signInWith(h, config, cookie)
    const out = await h.request(`${ISSUER}/v1/sign-out`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: ISSUER },
    })
    expect(out.status).toBe(204)
    await expect(oidc.fetchUserInfo(config, again.tokens.access_token, ALICE_UUID)).rejects.toThrow()
    await expect(oidc.refreshTokenGrant(config, again.tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })
})

describe('userinfo and end_session', () => {
  it('a user who lost access under the policy: userinfo and refresh refuse their tokens', async () => {
    const h = oidcHarness()
    const config = await discover(h)
    // carol signs in while there is no policy, then the policy comes in: she has no role on its server.
    const { tokens } = await signInWith(h, config, await cookieOf(h, 'carol'))
    const policy = { PLEX_ACCESS_SERVERS: MAIN_SERVER_ID, PLEX_ACCESS_OWNER_ID: ALICE_ID }
    const info = await h.request(
      `${ISSUER}/v1/oidc/userinfo`,
      { headers: { Authorization: `Bearer ${tokens.access_token}` } },
      policy,
    )
    expect(info.status).toBe(401)
    const refreshed = await h.request(
      `${ISSUER}/v1/oidc/token`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...basic('grafana', SECRET) },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token!,
        }).toString(),
      },
      policy,
    )
    expect(await refreshed.json()).toMatchObject({ error: 'invalid_grant' })
  })

  it('alg confusion: an HS256 token keyed with the public key is refused by userinfo and as id_token_hint', async () => {
    const h = oidcHarness()
    const config = await discover(h)
    const { tokens } = await signInWith(h, config, await cookieOf(h))
    const jwks = (await (await h.request(`${ISSUER}/v1/oidc/jwks`)).json()) as {
      keys: { kid: string; n: string }[]
    }
    const forged = await new SignJWT({ sub: ALICE_UUID, iss: ISSUER, aud: 'grafana' })
      .setProtectedHeader({ alg: 'HS256', kid: jwks.keys[0]!.kid })
      .sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])))
    const info = await h.request(`${ISSUER}/v1/oidc/userinfo`, {
      headers: { Authorization: `Bearer ${forged}` },
    })
    expect(info.status).toBe(401)
    const end = new URL(`${ISSUER}/v1/oidc/end-session`)
    end.searchParams.set('id_token_hint', forged)
    end.searchParams.set('post_logout_redirect_uri', GRAFANA.post_logout_redirect_uris[0]!)
    const refused = await h.request(end.href)
    expect(refused.status).toBe(400)
    expect(refused.headers.get('Location')).toBeNull()
    expect((await oidc.fetchUserInfo(config, tokens.access_token, ALICE_UUID)).sub).toBe(ALICE_UUID)
  })

  it('end_session ends the worker session and its tokens, back to a registered URI only', async () => {
    const h = oidcHarness()
    const config = await discover(h)
    const cookie = await cookieOf(h)
    const { tokens } = await signInWith(h, config, cookie)
    const stranger = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'https://evil.example/',
    })
    expect((await h.request(stranger.href, { headers: { Cookie: cookie } })).status).toBe(400)
    const url = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: GRAFANA.post_logout_redirect_uris[0]!,
      state: 'bye',
    })
    const res = await h.request(url.href, { headers: { Cookie: cookie } })
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toBe(`${GRAFANA.post_logout_redirect_uris[0]}?state=bye`)
    expect(res.headers.get('Set-Cookie')).toMatch(/Max-Age=0/)
    const user = await h.request(`${ISSUER}/v1/user`, { headers: { Cookie: cookie } })
    expect(user.status).toBe(401)
    await expect(oidc.fetchUserInfo(config, tokens.access_token, ALICE_UUID)).rejects.toThrow()
  })
})

describe('secrets stay out of logs and answers', () => {
  it('no code, token, client secret or verifier in any log line, error body or error page', async () => {
    const lines: string[] = []
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args) => void lines.push(args.map(String).join(' '))),
    )
    try {
      const h = oidcHarness()
      const config = await discover(h)
      const { tokens, flow, callback } = await signInWith(h, config, await cookieOf(h))
      const code = callback.searchParams.get('code')!
      const refused = [
        // A reused code, a replayed refresh token, a wrong secret, a bad token at userinfo and revocation.
        await tokenRequest(
          h,
          {
            grant_type: 'authorization_code',
            code,
            redirect_uri: GRAFANA.redirect_uris[0]!,
            code_verifier: flow.verifier,
          },
          basic('grafana', SECRET),
        ),
        await tokenRequest(
          h,
          { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
          basic('grafana', `${SECRET}-wrong`),
        ),
        await h.request(`${ISSUER}/v1/oidc/userinfo`, { headers: { Authorization: `Bearer ${code}` } }),
        await h.request(`${ISSUER}/v1/oidc/end-session?id_token_hint=${tokens.access_token}`),
      ]
      const secrets = [
        code,
        tokens.access_token,
        tokens.refresh_token!,
        tokens.id_token!,
        SECRET,
        flow.verifier,
      ]
      for (const res of refused) {
        expect(res.status).toBeGreaterThanOrEqual(400)
        const everything = `${await res.text()}\n${[...res.headers].join('\n')}`
        for (const secret of secrets) expect(everything).not.toContain(secret)
      }
      for (const line of lines) for (const secret of secrets) expect(line).not.toContain(secret)
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })
})
