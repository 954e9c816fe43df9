/**
 * The core's conformance suite: the same cases under Node (vitest), Deno, Bun and workerd.
 * Runtime-free on purpose: no vitest, no node:assert, no runtime globals beyond web standards.
 * A runner imports `cases` and registers each `run` as a test.
 */
import { createFakePlex, type FakePlex } from '@plex-auth/fake-plex'
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
]
