/**
 * The core's conformance suite: the same cases under Node (vitest), Deno, Bun and workerd.
 * Runtime-free on purpose: no vitest, no node:assert, no runtime globals beyond web standards.
 * A runner imports `cases` and registers each `run` as a test.
 */
import { createFakePlex, type FakePlex } from '@plex-auth/fake-plex'
import {
  base64url,
  CompactSign,
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  jwtVerify,
} from 'jose'
import { createPlexClient, isPlexError, type PlexClient, type PlexErrorCode } from '../../src/index.ts'

export interface ConformanceCase {
  name: string
  run: () => Promise<void>
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`)
}

function assertEqual<T>(actual: T, expected: T, message: string): void {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) throw new Error(`assertion failed: ${message}\n  expected ${e}\n  actual   ${a}`)
}

async function assertRejects(promise: Promise<unknown>, code: PlexErrorCode, message: string): Promise<void> {
  try {
    await promise
  } catch (error) {
    assert(isPlexError(error), `${message}: a PlexError, got ${String(error)}`)
    assertEqual(error.code, code, `${message}: error code`)
    return
  }
  throw new Error(`assertion failed: ${message}: expected a rejection with ${code}`)
}

interface World {
  fake: FakePlex
  plex: PlexClient
  token: (login: string) => string
  serverUrl: string
  serverId: string
}

function world(): World {
  const fake = createFakePlex()
  const plex = createPlexClient({
    clientIdentifier: 'conformance-client',
    product: 'plex-auth conformance',
    fetch: fake.fetch,
    retry: { minDelayMs: 0, maxDelayMs: 1 },
  })
  const server = fake.servers[0]
  assert(server, 'the seed has a server')
  const token = (login: string): string => {
    const account = fake.accounts.find((entry) => entry.login === login)
    assert(account, `the seed has ${login}`)
    return account.token
  }
  return { fake, plex, token, serverUrl: server.url, serverId: server.id }
}

export const cases: ConformanceCase[] = [
  {
    name: 'postUsersSignInData: form body, 201, a usable authToken',
    async run() {
      const { fake, plex } = world()
      const account = await plex.postUsersSignInData({ login: 'alice', password: 'alice-password' })
      assert(account.authToken.length > 0, 'authToken')
      const request = fake.requests[0]
      assertEqual(request?.method, 'POST', 'method')
      assertEqual(request?.url, 'https://plex.tv/api/v2/users/signin', 'url')
      assertEqual(request?.headers['content-type'], 'application/x-www-form-urlencoded', 'content type')
      assertEqual(request?.body, 'login=alice&password=alice-password&rememberMe=false', 'body')
      assertEqual(request?.headers['x-plex-token'], undefined, 'no token header')
    },
  },
  {
    name: 'postUsersSignInData: 2FA code required, then accepted',
    async run() {
      const { plex } = world()
      await assertRejects(
        plex.postUsersSignInData({ login: 'bob', password: 'bob-password' }),
        'verification_code_required',
        'without code',
      )
      const account = await plex.postUsersSignInData({
        login: 'bob',
        password: 'bob-password',
        verificationCode: '123456',
      })
      assertEqual(account.username, 'bob', 'username')
    },
  },
  {
    name: 'getTokenDetails: the account, unknown fields kept; revoked token unauthorized',
    async run() {
      const { fake, plex, token } = world()
      const account = await plex.getTokenDetails({ token: token('alice') })
      assertEqual(account.username, 'alice', 'username')
      assertEqual(account.mailingListStatus, 'inactive', 'open enum')
      assert('certificateVersion' in account, 'unknown field kept')
      assertEqual(fake.requests[0]?.url, 'https://plex.tv/api/v2/user', 'url')
      assertEqual(fake.requests[0]?.headers['x-plex-token'], token('alice'), 'token header')
      fake.revokeToken(token('alice'))
      await assertRejects(
        plex.getTokenDetails({ token: token('alice') }),
        'unauthorized',
        'revoked (422 XML)',
      )
    },
  },
  {
    name: 'getTransientToken: a token from the server, GET with type and scope',
    async run() {
      const { fake, plex, token, serverUrl } = world()
      const result = await plex.getTransientToken({
        type: 'delegation',
        scope: 'all',
        serverUrl,
        token: token('alice'),
      })
      assert(typeof result.token === 'string' && result.token.length > 0, 'token')
      assertEqual(fake.requests[0]?.url, `${serverUrl}/security/token?type=delegation&scope=all`, 'url')
      await assertRejects(
        plex.getTransientToken({ type: 'delegation', scope: 'all', serverUrl, token: token('carol') }),
        'unauthorized',
        'HTML 401 from the server',
      )
    },
  },
  {
    name: 'getSourceConnectionInformation: percent-encoded source, connections mapped',
    async run() {
      const { fake, plex, token, serverUrl, serverId } = world()
      const info = await plex.getSourceConnectionInformation({
        source: `server://${serverId}`,
        serverUrl,
        token: token('alice'),
      })
      assertEqual(info.clientIdentifier, serverId, 'clientIdentifier')
      assert(info.connections.length > 0 && typeof info.connections[0]?.uri === 'string', 'connections')
      assertEqual(
        fake.requests[0]?.url,
        `${serverUrl}/security/resources?source=server%3A%2F%2F${serverId}`,
        'url',
      )
      await assertRejects(
        plex.getSourceConnectionInformation({ source: 'abc', serverUrl, token: token('alice') }),
        'invalid_input',
        'source without prefix',
      )
    },
  },
  {
    name: 'PIN: create, approve, check; expired PIN is not_found',
    async run() {
      const { fake, plex } = world()
      const pin = await plex.createPin()
      assertEqual(pin.authToken, null, 'pending')
      const url = plex.buildAuthUrl({ code: pin.code })
      assert(url.startsWith('https://app.plex.tv/auth#?clientID=conformance-client&code='), 'auth url')
      fake.approvePin(pin.id, 'alice')
      const approved = await plex.checkPin({ id: pin.id })
      assert(typeof approved.authToken === 'string', 'authToken after approval')
      fake.expirePin(pin.id)
      await assertRejects(plex.checkPin({ id: pin.id }), 'not_found', 'expired')
    },
  },
  {
    name: 'retries: a GET survives two 503s; sign-in is never retried',
    async run() {
      const { fake, plex, token } = world()
      fake.inject({ kind: 'status', status: 503, times: 2 })
      await plex.getTokenDetails({ token: token('alice') })
      assertEqual(fake.requests.length, 3, 'three attempts')
      fake.reset()
      fake.inject({ kind: 'status', status: 503, times: 1 })
      await assertRejects(
        plex.postUsersSignInData({ login: 'alice', password: 'alice-password' }),
        'upstream_error',
        'sign-in 503',
      )
      assertEqual(fake.requests.length, 1, 'one attempt')
    },
  },
  {
    name: 'timeout and abort are told apart',
    async run() {
      const { fake, plex, token } = world()
      fake.inject({ kind: 'delay', ms: 2000 })
      const options = { token: token('alice') }
      await assertRejects(
        createPlexClient({ ...plex.options, timeoutMs: 10, retry: false }).getTokenDetails(options),
        'timeout',
        'timeout',
      )
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 10)
      await assertRejects(plex.getTokenDetails({ ...options, signal: controller.signal }), 'aborted', 'abort')
    },
  },
  {
    name: 'answers are bounded: one over maxResponseBytes is invalid_response, its stream cancelled',
    async run() {
      const probe = { pulls: 0, cancelled: false }
      const body = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            probe.pulls++
            controller.enqueue(new Uint8Array(1024).fill(0x20))
          },
          cancel() {
            probe.cancelled = true
          },
        },
        { highWaterMark: 0 },
      )
      const plex = createPlexClient({
        clientIdentifier: 'c',
        retry: false,
        maxResponseBytes: 4096,
        fetch: async () => new Response(body, { headers: { 'content-type': 'application/json' } }),
      })
      await assertRejects(plex.getTokenDetails({ token: 't' }), 'invalid_response', 'endless answer')
      assert(probe.cancelled, 'the stream is cancelled')
      assert(probe.pulls <= 8, `stopped pulling soon after the limit (pulled ${probe.pulls} KiB)`)
    },
  },
  {
    name: 'errors never carry the token',
    async run() {
      const secret = 'Conformance-Secret-Token-1'
      const plex = createPlexClient({
        clientIdentifier: 'c',
        retry: false,
        fetch: async () => {
          throw new TypeError(`failed with ${secret}`)
        },
      })
      try {
        await plex.getTokenDetails({ token: secret })
      } catch (error) {
        assert(isPlexError(error, 'network_error'), 'network_error')
        const cause = error.cause instanceof Error ? error.cause.message : String(error.cause)
        assert(
          !`${error.message} ${JSON.stringify(error)} ${cause}`.includes(secret),
          'no secret in the error',
        )
        return
      }
      throw new Error('assertion failed: expected a rejection')
    },
  },
  {
    name: 'generateDeviceKey: a WebCrypto Ed25519 key as plain JSON, kid its RFC 7638 thumbprint',
    async run() {
      const { plex } = world()
      const key = await plex.generateDeviceKey()
      assertEqual(Object.keys(key).sort(), ['kid', 'privateJwk', 'publicJwk'], 'fields')
      assertEqual(key.publicJwk.kty, 'OKP', 'kty')
      assertEqual(key.publicJwk.crv, 'Ed25519', 'crv')
      assertEqual(key.privateJwk.x, key.publicJwk.x, 'one key pair')
      assert(/^[\w-]{43}$/.test(key.privateJwk.d), 'a 32-byte private key')
      assertEqual(key.kid, await calculateJwkThumbprint(key.publicJwk, 'sha256'), 'kid = thumbprint')
      const restored = JSON.parse(JSON.stringify(key)) as typeof key
      assertEqual(restored, key, 'JSON round trip')
    },
  },
  {
    name: 'signDeviceJwt: EdDSA, {kid, alg, typ} header, aud plex.tv, iss the client, exp = iat + 300',
    async run() {
      const { plex } = world()
      const key = await plex.generateDeviceKey()
      const jwt = await plex.signDeviceJwt({ deviceKey: key, nonce: 'n-1', scope: 'username' })
      assertEqual(decodeProtectedHeader(jwt), { kid: key.kid, alg: 'EdDSA', typ: 'JWT' }, 'header')
      const { payload } = await jwtVerify(jwt, await importJWK(key.publicJwk, 'EdDSA'), {
        algorithms: ['EdDSA'],
        audience: 'plex.tv',
        issuer: 'conformance-client',
      })
      assertEqual((payload.exp ?? 0) - (payload.iat ?? 0), 300, 'lifetime')
      assertEqual([payload.nonce, payload.scope], ['n-1', 'username'], 'nonce and scope')
    },
  },
  {
    name: 'PIN with a key: the Plex JWT, refreshed, verified against plex.tv’s keys',
    async run() {
      const { fake, plex } = world()
      const deviceKey = await plex.generateDeviceKey()
      const pin = await plex.createPin({ deviceKey })
      assertEqual(fake.requests[0]?.url, 'https://clients.plex.tv/api/v2/pins', 'PIN url')
      assertEqual(JSON.parse(fake.requests[0]?.body ?? '{}').jwk.kid, deviceKey.kid, 'the JWK in the body')
      assertEqual((await plex.checkPin({ id: pin.id, deviceKey })).authToken, null, 'pending')
      fake.approvePin(pin.id, 'alice')
      const { authToken } = await plex.checkPin({ id: pin.id, deviceKey })
      assert(typeof authToken === 'string', 'a Plex JWT after approval')
      assertEqual(decodeJwt(authToken).thumbprint, deviceKey.kid, 'issued to this key')
      assertEqual((await plex.getTokenDetails({ token: authToken })).username, 'alice', 'plex.tv takes it')

      const { token, expiresAt } = await plex.refreshPlexJwt({ deviceKey })
      assert(token !== authToken, 'a new JWT')
      assert(Date.parse(expiresAt) > Date.now() + 6 * 86_400_000, 'lives 7 days')
      const claims = await plex.verifyPlexJwt({ token, deviceKey })
      assertEqual(
        [claims.iss, claims.user.username, claims.thumbprint],
        ['plex.tv', 'alice', deviceKey.kid],
        'claims',
      )
      await plex.ping({ token })
    },
  },
  {
    name: 'verifyPlexJwt: a JWT issued to another key, and alg none, are invalid_token',
    async run() {
      const { fake, plex, token } = world()
      const mine = await plex.generateDeviceKey()
      const theirs = await plex.generateDeviceKey()
      await plex.registerDeviceKey({ token: token('alice'), deviceKey: theirs })
      const { token: jwt } = await plex.refreshPlexJwt({ deviceKey: theirs })
      await assertRejects(plex.verifyPlexJwt({ token: jwt, deviceKey: mine }), 'invalid_token', 'thumbprint')
      const none = `${btoa('{"alg":"none"}')}.${btoa('{"iss":"plex.tv"}')}.`
      await assertRejects(plex.verifyPlexJwt({ token: none }), 'invalid_token', 'alg none')
      await assertRejects(
        plex.registerDeviceKey({ token: token('bob'), deviceKey: theirs }),
        'key_already_registered',
        'a key another device holds',
      )
      assert(
        fake.requests.every((r) => !r.url.includes('X-Plex-Token')),
        'no token in a URL',
      )
    },
  },
  {
    // Keys are imported by WebCrypto, and runtimes read a JWK's `x` differently: Node takes standard
    // base64 and trailing spaces, Node and Bun a non-canonical last character, Deno neither. The
    // verifier decides before WebCrypto does, so a key set means the same in every runtime.
    name: 'verifyPlexJwt: a key set verifies alike in every runtime (alg, use, key_ops; d, bad x refused)',
    async run() {
      const { plex } = world()
      const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair
      const { x } = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as { x: string }
      const now = Math.floor(Date.now() / 1000)
      const claims = {
        iss: 'plex.tv',
        aud: 'conformance-client',
        iat: now,
        exp: now + 300,
        user: { id: 1, uuid: 'u-1' },
      }
      const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
        .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' })
        .sign(pair.privateKey)
      const verifies = (key: Record<string, unknown>) =>
        plex.verifyPlexJwt({ token, jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'k1', ...key }] } })

      const claimsOf = await verifies({ x, alg: 'EdDSA', use: 'sig', key_ops: ['verify'], ext: true })
      assertEqual(claimsOf.user.uuid, 'u-1', 'a public key with alg, use, key_ops and ext verifies')
      const raw = base64url.decode(x)
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
      const last = alphabet[alphabet.indexOf(x[42] ?? '') ^ 1]
      const refused: [string, Record<string, unknown>][] = [
        ['a private key', { x, d: x }],
        ['x of 31 bytes', { x: base64url.encode(raw.slice(0, 31)) }],
        ['x of 33 bytes', { x: base64url.encode(new Uint8Array([...raw, 0])) }],
        ['x padded', { x: `${x}=` }],
        ['x in standard base64', { x: x.replace(/-/g, '+').replace(/_/g, '/') }],
        ['x with unused bits set', { x: `${x.slice(0, 42)}${last}` }],
        ['x with a space', { x: `${x} ` }],
        ['x not a string', { x: [...raw] }],
        ['key_ops without verify', { x, key_ops: ['sign'] }],
      ]
      for (const [what, key] of refused) {
        // Standard base64 is only different when x has a - or _: the other cases always are.
        if (what === 'x in standard base64' && !/[-_]/.test(x)) continue
        await assertRejects(verifies(key), 'invalid_token', what)
      }
    },
  },
  {
    name: 'Plex Home: list, switch with the PIN; home_pin_required without it',
    async run() {
      const { plex, token } = world()
      const users = await plex.getHomeUsers({ token: token('alice') })
      const kids = users.find((user) => user.title === 'Kids')
      assert(kids?.protected === true && kids.username === null, 'a protected managed user')
      await assertRejects(
        plex.switchHomeUser({ token: token('alice'), uuid: kids.uuid }),
        'home_pin_required',
        'no PIN',
      )
      const kid = await plex.switchHomeUser({ token: token('alice'), uuid: kids.uuid, pin: '1234' })
      await plex.ping({ token: kid.authToken })
      assertEqual(await plex.getHomeUsers({ token: token('bob') }), [], 'no Home')
    },
  },
]
