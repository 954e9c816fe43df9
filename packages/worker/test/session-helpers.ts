import { afterEach, beforeEach, expect, vi } from 'vitest'
import { sha256 } from '../src/sessions/token-crypto.ts'
import { clearKv, dumpKv, type Harness, json, openKv } from './helpers.ts'

export const HOUR = 3600_000
export const DAY = 24 * HOUR

/**
 * A faked clock (Date only) for the worker, the core and the fake Plex alike, reset with an empty KV before
 * each test of the file that calls it. `later(ms)` moves it to that long after the test's start.
 */
export function useFakeClock(): { later(ms: number): void; startedAt(): number } {
  let start = 0
  beforeEach(async () => {
    await clearKv()
    start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })
  })
  afterEach(() => {
    vi.useRealTimers()
  })
  return { later: (ms) => vi.setSystemTime(start + ms), startedAt: () => start }
}

/** The uuids of the fake's seed accounts (packages/fake-plex/src/seed.ts). */
export const ALICE_UUID = 'a11ce0000000a11c'

export interface PinSession {
  /** The session token (bearer). */
  token: string
  /** The Plex token plex.tv issued for the PIN: a Plex JWT unless PLEX_TOKEN_KIND=legacy. */
  plexToken: string
  /** The PIN's (and so the session's) own Plex device. */
  clientIdentifier: string
}

/**
 * A PIN sign-in through the worker in bearer mode: POST /v1/pins, the user approves at the fake plex.tv,
 * one poll claims the session. With the default PLEX_TOKEN_KIND (jwt) the session holds a Plex JWT.
 */
export async function pinSignIn(
  h: Harness,
  login = 'alice',
  headers: Record<string, string> = {},
): Promise<PinSession> {
  const created = await h.request('/v1/pins', json({}, headers))
  expect(created.status, await created.clone().text()).toBe(201)
  const pin = (await created.json()) as { id: string; code: string; pollToken: string; authUrl: string }
  h.fake.approvePin(pin.code, login)
  const res = await h.request(`/v1/pins/${pin.id}`, {
    headers: { 'X-Poll-Token': pin.pollToken, 'X-Session-Mode': 'bearer', ...headers },
  })
  const body = (await res.json()) as { status: string; session: { token: string } }
  expect(body.status).toBe('authorized')
  const clientIdentifier = new URLSearchParams(new URL(pin.authUrl).hash.slice(2)).get('clientID')!
  return { token: body.session.token, plexToken: h.plexTokens.at(-1)!, clientIdentifier }
}

/**
 * The secrets sealed in KV right now, found by opening every value with the test key: the Plex tokens
 * and the private halves (`d`) of device keys. For `expectKvClean`, which then checks that none of them
 * appears in plaintext in any key or value.
 */
export async function sealedSecrets(): Promise<string[]> {
  const out: string[] = []
  for (const entry of await dumpKv()) {
    const record = await openKv(entry.name, entry.value)
    const jwt = record?.jwt as { deviceKey?: { privateJwk?: { d?: string } } } | undefined
    const pinKey = record?.deviceKey as { privateJwk?: { d?: string } } | undefined
    for (const secret of [record?.plexToken, jwt?.deviceKey?.privateJwk?.d, pinKey?.privateJwk?.d])
      if (typeof secret === 'string') out.push(secret)
  }
  return out
}

/**
 * The opened session record stored for a session token, with what its `state:` holds (the renewed JWT as
 * `plexToken` and `jwt.expiresAt`, `lastPingAt`, `lastUsedAt`) as the worker reads them together.
 */
export async function storedSession(token: string): Promise<Record<string, unknown> | undefined> {
  const hash = await sha256(token)
  const all = await dumpKv()
  const entry = all.find((e) => e.name === `session:${hash}`)
  const session = entry ? await openKv(entry.name, entry.value) : undefined
  if (!session) return undefined
  const stateEntry = all.find((e) => e.name === `state:${hash}`)
  const state = stateEntry ? await openKv(stateEntry.name, stateEntry.value) : undefined
  if (!state) return session
  const { v: _v, plexToken, jwtExpiresAt, ...times } = state
  const jwt = session.jwt as Record<string, unknown> | undefined
  return {
    ...session,
    ...times,
    ...(typeof plexToken === 'string' && jwt ? { plexToken, jwt: { ...jwt, expiresAt: jwtExpiresAt } } : {}),
  }
}

/** One KV operation, as `countingKv` saw it. */
export interface KvOperation {
  op: 'get' | 'put' | 'delete' | 'list'
  /** The key, or for `list` the prefix. */
  key: string
  /** Date.now() when it was made (faked in tests that fake the clock). */
  at: number
}

/** Workers' limit of KV operations per invocation, and the error it throws past it. */
export const KV_OPERATIONS_LIMIT = 1000
const KV_LIMIT_ERROR = 'Too many API requests by single worker invocation.'

/**
 * A KV binding that records every operation before passing it on to `kv`. Being another object, it also
 * has its own isolate session cache in the store (which is kept per KV binding), like another isolate.
 * With `limit`, an operation past `limit` recorded ones fails as Workers fail it (empty `ops` between
 * requests to count per request).
 */
export function countingKv(
  kv: KVNamespace,
  { limit }: { limit?: number } = {},
): { kv: KVNamespace; ops: KvOperation[] } {
  const ops: KvOperation[] = []
  const record = (op: KvOperation['op'], key: string) => {
    if (limit !== undefined && ops.length >= limit) throw new Error(KV_LIMIT_ERROR)
    ops.push({ op, key, at: Date.now() })
  }
  const counted = {
    get: (key: string, ...rest: unknown[]) => {
      record('get', key)
      return (kv.get as (...args: unknown[]) => unknown)(key, ...rest)
    },
    getWithMetadata: (key: string, ...rest: unknown[]) => {
      record('get', key)
      return (kv.getWithMetadata as (...args: unknown[]) => unknown)(key, ...rest)
    },
    put: (key: string, ...rest: unknown[]) => {
      record('put', key)
      return (kv.put as (...args: unknown[]) => unknown)(key, ...rest)
    },
    delete: (key: string) => {
      record('delete', key)
      return kv.delete(key)
    },
    list: (options?: KVNamespaceListOptions) => {
      record('list', options?.prefix ?? '')
      return kv.list(options)
    },
  }
  return { kv: counted as unknown as KVNamespace, ops }
}

/** How many of each operation, e.g. `{ get: 1, put: 0, delete: 0, list: 0 }`. */
export function countOps(ops: KvOperation[]): Record<KvOperation['op'], number> {
  const out = { get: 0, put: 0, delete: 0, list: 0 }
  for (const { op } of ops) out[op]++
  return out
}

/** Harness options for Plex JWT sessions: PIN sign-in with a device key (PLEX_TOKEN_KIND=jwt, opt-in). */
export const JWT_SESSIONS = { env: { PLEX_TOKEN_KIND: 'jwt' } }
