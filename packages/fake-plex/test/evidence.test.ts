// One test per row of README.md's "Where each behaviour comes from": each names its row (E1, E2, ...) and
// fails when the fake drifts from what real Plex was seen doing. A last test checks that every row has one.
import { readFileSync } from 'node:fs'
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { PLEX_TV_ERRORS } from '../src/index.ts'
import {
  ALICE_TOKEN,
  BOB_SHARE_TOKEN,
  BOB_TOKEN,
  CLIENT_ID,
  plexHeaders,
  setup,
  signInForm,
} from './helpers.ts'

const CLIENTS = 'https://clients.plex.tv/api/v2'
const KIDS = 'k1d5000000000k1d'
const DANA = 'da4a000000000da4'

type World = ReturnType<typeof setup>

interface Key {
  kid: string
  jwk: Record<string, unknown>
  privateJwk: Record<string, unknown>
}

async function newKey(kid?: string): Promise<Key> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const privateJwk = await exportJWK(privateKey)
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: String(privateJwk.x) }
  const id = kid ?? (await calculateJwkThumbprint(jwk))
  return { kid: id, jwk: { ...jwk, kid: id, alg: 'EdDSA', use: 'sig' }, privateJwk }
}

const post = (body: unknown, extra: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: plexHeaders({ 'content-type': 'application/json', ...extra }),
  body: JSON.stringify(body),
})

async function deviceJwt(
  key: Key,
  { clock }: World,
  lifetimeSeconds: number,
  nonce?: string,
): Promise<string> {
  const iat = Math.floor(clock.now / 1000)
  return new SignJWT({
    aud: 'plex.tv',
    iss: CLIENT_ID,
    iat,
    exp: iat + lifetimeSeconds,
    ...(nonce ? { nonce } : {}),
  })
    .setProtectedHeader({ kid: key.kid, alg: 'EdDSA', typ: 'JWT' })
    .sign(await importJWK(key.privateJwk, 'EdDSA'))
}

async function nonceOf({ fake }: World): Promise<string> {
  const res = await fake.fetch(`${CLIENTS}/auth/nonce`, { headers: plexHeaders() })
  return ((await res.json()) as { nonce: string }).nonce
}

/** POST /auth/token with a device JWT of the given lifetime carrying a fresh nonce. */
async function tokenFor(world: World, key: Key, lifetimeSeconds = 300): Promise<Response> {
  const jwt = await deviceJwt(key, world, lifetimeSeconds, await nonceOf(world))
  return world.fake.fetch(`${CLIENTS}/auth/token`, post({ jwt }))
}

/** A Plex JWT for alice's device CLIENT_ID (the key registered with her legacy token). */
async function aliceJwt(world: World, key?: Key): Promise<string> {
  const k = key ?? (await newKey())
  const registered = await world.fake.fetch(
    `${CLIENTS}/auth/jwk`,
    post({ jwk: k.jwk }, { 'x-plex-token': ALICE_TOKEN }),
  )
  expect(registered.status).toBe(201)
  const res = await tokenFor(world, k)
  expect(res.status).toBe(200)
  return ((await res.json()) as { auth_token: string }).auth_token
}

async function resources(world: World, token: string): Promise<Record<string, unknown>[]> {
  const res = await world.fake.fetch(`${CLIENTS}/resources?includeHttps=1&includeRelay=1`, {
    headers: plexHeaders({ 'x-plex-token': token }),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as Record<string, unknown>[]).filter((d) => d.provides === 'server')
}

async function delegate(world: World, token: string): Promise<Response> {
  return world.fake.fetch(`${world.main.url}/security/token?type=delegation&scope=all`, {
    headers: plexHeaders({ 'x-plex-token': token }),
  })
}

async function switchTo(
  world: World,
  token: string,
  uuid: string,
  pin?: string,
  path = 'api/v2/home/users',
): Promise<Response> {
  const query = pin === undefined ? '' : `?pin=${pin}`
  return world.fake.fetch(`https://plex.tv/${path}/${uuid}/switch${query}`, {
    method: 'POST',
    headers: plexHeaders({ 'x-plex-token': token }),
  })
}

describe('evidence: the fake plays what real Plex was seen doing', () => {
  it('E1 resources asked with a Plex JWT: the owned server’s accessToken is the JWT, a shared one’s is opaque', async () => {
    const world = setup()
    const jwt = await aliceJwt(world)
    const owned = await resources(world, jwt)
    expect(owned.map((d) => [d.owned, d.accessToken === jwt])).toEqual([
      [true, true],
      [true, true],
    ])
    const shared = await resources(world, BOB_TOKEN)
    expect(shared.map((d) => [d.owned, d.accessToken])).toEqual([[false, BOB_SHARE_TOKEN]])
  })

  it('E2 a media server answers any Plex JWT with an HTML 401', async () => {
    const world = setup()
    const refused = await delegate(world, await aliceJwt(world))
    expect(refused.status).toBe(401)
    expect(refused.headers.get('content-type')).toBe('text/html')
    expect(await refused.text()).toContain('401 Unauthorized')
    // A legacy token of the same account is accepted (the seeded one retired with the JWT: E11).
    expect((await delegate(world, world.fake.issueToken('alice'))).status).toBe(200)
  })

  it('E3 a Home switch asked with a Plex JWT works and mints an opaque token the servers accept', async () => {
    const world = setup()
    const jwt = await aliceJwt(world)
    const res = await switchTo(world, jwt, DANA)
    expect(res.status).toBe(201)
    const { authToken } = (await res.json()) as { authToken: string }
    expect(authToken).toMatch(/^[\w-]{20}$/)
    const [server] = await resources(world, authToken)
    expect((await delegate(world, String(server?.accessToken))).status).toBe(200)
  })

  it('E4 a PIN-protected Home profile: 403 code 1041 without its PIN or with a wrong one', async () => {
    const world = setup()
    for (const pin of [undefined, '0000']) {
      const res = await switchTo(world, ALICE_TOKEN, KIDS, pin)
      expect(res.status).toBe(403)
      expect(await res.json()).toEqual({ errors: [PLEX_TV_ERRORS.homePinRequired] })
    }
    expect((await switchTo(world, ALICE_TOKEN, KIDS, '1234')).status).toBe(201)
  })

  it('E5 /auth/token with an unregistered key, or after the device was removed: code 1097 "jwk missing"', async () => {
    const world = setup()
    const stranger = await tokenFor(world, await newKey())
    expect(await stranger.json()).toEqual({ errors: [PLEX_TV_ERRORS.jwkMissing] })
    expect(PLEX_TV_ERRORS.jwkMissing.code).toBe(1097)
    const key = await newKey()
    await aliceJwt(world, key)
    expect(world.fake.removeDevice(CLIENT_ID)).toBe(true)
    const removed = await tokenFor(world, key)
    expect(removed.status).toBe(PLEX_TV_ERRORS.jwkMissing.status)
    expect(await removed.json()).toEqual({ errors: [PLEX_TV_ERRORS.jwkMissing] })
  })

  it('E6 device JWTs that live up to an hour are accepted, as Plex’s documented example signs them', async () => {
    const world = setup()
    const key = await newKey()
    await aliceJwt(world, key)
    expect((await tokenFor(world, key, 3600)).status).toBe(200)
    expect((await tokenFor(world, key, 3601)).status).toBe(422)
  })

  it('E7 issued Plex JWTs carry aud ["plex.tv", <clientIdentifier>] and thumbprint = the kid the client sent', async () => {
    const world = setup()
    const key = await newKey('my-own-kid')
    const claims = decodeJwt(await aliceJwt(world, key))
    expect(claims.aud).toEqual(['plex.tv', CLIENT_ID])
    expect(claims.thumbprint).toBe('my-own-kid')
    expect(claims.iss).toBe('plex.tv')
  })

  it('E8 password or PIN sign-in under a client identifier that received a Plex JWT is refused', async () => {
    const world = setup()
    await aliceJwt(world)
    const signIn = await world.fake.fetch(
      'https://plex.tv/api/v2/users/signin',
      signInForm({ login: 'alice', password: 'alice-password' }),
    )
    expect(signIn.status).toBe(401)
    const pin = await world.fake.fetch('https://plex.tv/api/v2/pins?strong=true', {
      method: 'POST',
      headers: plexHeaders(),
    })
    expect(pin.status).toBe(401)
    // Another identifier (a new device) signs in as usual.
    const fresh = await world.fake.fetch('https://plex.tv/api/v2/users/signin', {
      ...signInForm({ login: 'alice', password: 'alice-password' }),
      headers: plexHeaders({
        'content-type': 'application/x-www-form-urlencoded',
        'x-plex-client-identifier': 'a-new-device',
      }),
    })
    expect(fresh.status).toBe(201)
  })

  it('E9 the Home switch route: the fake plays the current one (by uuid); the older one (by id) is 404', async () => {
    const world = setup()
    expect((await switchTo(world, ALICE_TOKEN, DANA)).status).toBe(201)
    expect((await switchTo(world, ALICE_TOKEN, '10000012', undefined, 'api/home/users')).status).toBe(404)
  })

  it('E10 a Home member sees the admin’s servers as home, each with a token of its own; its plex.tv token is refused', async () => {
    const world = setup()
    const { authToken } = (await (await switchTo(world, ALICE_TOKEN, DANA)).json()) as { authToken: string }
    const servers = await resources(world, authToken)
    expect(servers.map((d) => [d.owned, d.home])).toEqual([
      [false, true],
      [false, true],
    ])
    const main = servers.find((d) => d.clientIdentifier === world.main.id)
    expect((await delegate(world, String(main?.accessToken))).status).toBe(200)
    expect((await delegate(world, authToken)).status).toBe(401)
  })

  it('E11 issuing a Plex JWT for a device retires the legacy token that registered its key', async () => {
    const world = setup()
    const legacy = world.fake.issueToken('alice', { clientIdentifier: CLIENT_ID })
    const key = await newKey()
    const registered = await world.fake.fetch(
      `${CLIENTS}/auth/jwk`,
      post({ jwk: key.jwk }, { 'x-plex-token': legacy }),
    )
    expect(registered.status).toBe(201)
    expect((await tokenFor(world, key)).status).toBe(200)
    const ping = await world.fake.fetch('https://plex.tv/api/v2/ping', {
      headers: plexHeaders({ 'x-plex-token': legacy }),
    })
    expect(ping.status).toBe(401)
  })

  it('every row of the README table has a test here, and every test a row', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const section = readme.slice(readme.indexOf('## Where each behaviour comes from'))
    const rows = [...section.matchAll(/^\| (E\d+) \|/gm)].map((m) => m[1])
    const tests = [...readFileSync(new URL(import.meta.url), 'utf8').matchAll(/^ {2}it\('(E\d+) /gm)].map(
      (m) => m[1],
    )
    expect(rows.length).toBeGreaterThanOrEqual(11)
    expect(tests).toEqual(rows)
  })
})
