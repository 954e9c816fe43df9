/**
 * A faithful in-process fake of plex.tv and of Plex Media Servers, for tests, benchmarks and the demo.
 * Web standards only: runs in Node, Deno, Bun, workerd and browsers.
 *
 * @example
 * const fake = createFakePlex()
 * const res = await fake.fetch('https://plex.tv/api/v2/user', {
 *   headers: { accept: 'application/json', 'x-plex-client-identifier': 'id', 'x-plex-token': fake.accounts[0].token },
 * })
 */
import type { Hono } from 'hono'
import { authPage } from './auth-page.ts'
import { registerControlRoutes } from './control.ts'
import type { Fault } from './faults.ts'
import { FaultList, GARBAGE_BODY, sleep, statusFaultResponse } from './faults.ts'
import { registerHomeRoutes } from './home.ts'
import type { SigningKey } from './jwt.ts'
import { registerJwtRoutes } from './plex-jwt.ts'
import { createPlexTvApp, type RateLimit, serverConnections } from './plex-tv.ts'
import { createPmsApp } from './pms.ts'
import { defaultSeed, type FakePlexSeed, type SeedAccount } from './seed.ts'
import {
  type AuthorizedDevice,
  DEFAULT_SIGN_IN_FAILURES_BEFORE_LOCKOUT,
  type DeviceKeyRecord,
  FakeState,
  type PersistedState,
} from './state.ts'

export type { Fault, FaultKind } from './faults.ts'
export {
  DEFAULT_SIGNING_KEY,
  DEVICE_JWT_MAX_LIFETIME_SECONDS,
  NONCE_LIFETIME_MS,
  PLEX_JWT_LIFETIME_MS,
  type SigningKey,
} from './jwt.ts'
export { PLEX_TV_ERRORS } from './plex-errors.ts'
export type { RateLimit } from './plex-tv.ts'
export type {
  FakePlexSeed,
  SeedAccount,
  SeedConnection,
  SeedHome,
  SeedHomeUser,
  SeedServer,
  SeedShare,
} from './seed.ts'
export { defaultSeed } from './seed.ts'
export type { AuthorizedDevice, DeviceKeyRecord, PersistedState, TokenDevice } from './state.ts'
export {
  DEFAULT_SIGN_IN_FAILURES_BEFORE_LOCKOUT,
  LOCKOUT_MS,
  SIGN_IN_FAILURE_WINDOW_MS,
  TRANSIENT_TOKEN_LIFETIME_MS,
} from './state.ts'

export interface FakePlexOptions {
  seed?: FakePlexSeed
  /** Default 'https://plex.tv'. 'https://clients.plex.tv' is routed to plex.tv too. */
  plexTvUrl?: string
  /** Clock in ms, default Date.now. Drives PIN expiry, transient-token lifetime, lockout and rate limits. */
  now?: () => number
  /**
   * Failed sign-ins per client IP within SIGN_IN_FAILURE_WINDOW_MS (60 s) that lock the IP out (code 1031)
   * for LOCKOUT_MS; default DEFAULT_SIGN_IN_FAILURES_BEFORE_LOCKOUT (5).
   */
  signInFailuresBeforeLockout?: number
  /** Per client identifier on plex.tv /api routes, or false (default). */
  rateLimit?: RateLimit | false
  /**
   * Per client identifier on GET /api/v2/auth/nonce, which plex.tv rate-limits on its own; default
   * DEFAULT_NONCE_RATE_LIMIT (30 per minute), false for none.
   */
  nonceRateLimit?: RateLimit | false
}

/** plex.tv rate-limits nonces; its figures are not public, so the fake's are generous. */
export const DEFAULT_NONCE_RATE_LIMIT: RateLimit = { limit: 30, windowMs: 60_000 }

export interface RecordedRequest {
  method: string
  url: string
  /** Lower-case header names. */
  headers: Record<string, string>
  body: string
}

export interface FakeServer {
  /** The server's clientIdentifier. */
  id: string
  name: string
  url: string
  ownerLogin: string
}

export interface FakePlex {
  /** Same signature as fetch; routes by origin to plex.tv or a seeded server, else TypeError('fetch failed'). */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>
  handle(request: Request): Promise<Response>
  readonly requests: RecordedRequest[]
  readonly servers: FakeServer[]
  readonly accounts: SeedAccount[]
  readonly plexTvUrl: string
  /**
   * Plays app.plex.tv: the PIN gets a new token for that account, issued to the device that created the
   * PIN (retiring that device's earlier token). Returns the token. For a PIN made with a key, the key is
   * registered to that device and '' is returned: the Plex JWT is signed (asynchronously) when the device
   * polls with a device JWT, and is in that answer's `authToken`.
   */
  approvePin(idOrCode: number | string, login: string): string
  expirePin(idOrCode: number | string): void
  /** Every transient token of that server dies. */
  restartServer(serverId: string): void
  /** /api/v2/user then answers 422 XML "Invalid token"; PMS and other plex.tv routes answer 401. */
  revokeToken(token: string): void
  /**
   * A new valid token for the account, as a sign-in would give. With a device it is listed by `devices`
   * and retires that device's earlier token; without one it is like a seeded token (no device).
   */
  issueToken(login: string, device?: { clientIdentifier: string; product?: string; name?: string }): string
  /** The account's "Authorized Devices": one per device holding a live token, oldest first. */
  devices(login: string): AuthorizedDevice[]
  /**
   * Plays "Remove" in Authorized Devices: the device's tokens are revoked and its keys forgotten (a JWT
   * refresh for it then gets code 1097). Returns whether the device held a token or a key.
   */
  removeDevice(clientIdentifier: string): boolean
  /** The owner stops sharing the server with `login` (resources and the server itself). */
  withdrawShare(serverId: string, login: string): boolean
  /** Device keys registered for the account (by a PIN with a key or POST /api/v2/auth/jwk). */
  deviceKeys(login: string): DeviceKeyRecord[]
  /** The fake plex.tv's signing keys, newest last; GET /api/v2/auth/keys lists them all. */
  readonly signingKeys: SigningKey[]
  /** A new signing key signs Plex JWTs from now on (the earlier ones stay in the JWKS). Returns its kid. */
  rotateSigningKey(): Promise<string>
  inject(fault: Fault): void
  clearFaults(): void
  /** Back to the seed: tokens, PINs, transient tokens, counters, faults and recorded requests. */
  reset(): void
  /** The tokens, device keys and signing keys to keep across a restart (plain JSON). */
  snapshot(): PersistedState
  /** Takes back a snapshot() over the seed. */
  restore(saved: PersistedState): void
}

const CLIENTS_PLEX_TV = 'https://clients.plex.tv'
const APP_PLEX_TV = 'https://app.plex.tv'

function networkError(): TypeError {
  return new TypeError('fetch failed', { cause: new Error('fake-plex: connection refused') })
}

/** Creates a fake plex.tv plus one fake PMS per seeded server, sharing one state. */
export function createFakePlex(options: FakePlexOptions = {}): FakePlex {
  // A copy: the fake changes its seed (a withdrawn share), and the default seed is shared by every fake.
  const seed = structuredClone(options.seed ?? defaultSeed)
  const plexTvOrigin = new URL(options.plexTvUrl ?? 'https://plex.tv').origin
  const state = new FakeState(
    seed,
    options.now ?? Date.now,
    options.signInFailuresBeforeLockout ?? DEFAULT_SIGN_IN_FAILURES_BEFORE_LOCKOUT,
  )
  const faults = new FaultList()
  const requests: RecordedRequest[] = []

  const plexTvApp = createPlexTvApp({ state, rateLimit: options.rateLimit ?? false })
  registerJwtRoutes(plexTvApp, { state, nonceRateLimit: options.nonceRateLimit ?? DEFAULT_NONCE_RATE_LIMIT })
  registerHomeRoutes(plexTvApp, state)
  plexTvApp.get('/auth', () => authPage(seed.accounts))
  // plex.tv/link: where a device's short code is typed (`plex-auth login --code`).
  plexTvApp.get('/link', () => authPage(seed.accounts))
  registerControlRoutes(plexTvApp, {
    state,
    inject: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    reset: () => fake.reset(),
    restartServer: (id) => state.restartServer(id),
    requests: () => requests,
  })

  // Origin -> who answers there. Unreachable connections are absent: fetch rejects for them.
  const routes = new Map<string, { host: string; app: Hono }>()
  routes.set(plexTvOrigin, { host: 'plex.tv', app: plexTvApp })
  if (!routes.has(CLIENTS_PLEX_TV)) routes.set(CLIENTS_PLEX_TV, { host: 'plex.tv', app: plexTvApp })
  for (const server of seed.servers) {
    const route = { host: server.id, app: createPmsApp(state, server) }
    routes.set(new URL(server.url).origin, route)
    for (const connection of serverConnections(server)) {
      const origin = new URL(connection.uri).origin
      if (connection.reachable !== false && !routes.has(origin)) routes.set(origin, route)
    }
  }

  async function handle(request: Request): Promise<Response> {
    const headers: Record<string, string> = {}
    request.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value
    })
    // arrayBuffer + TextDecoder: workerd warns when .text() reads a form-encoded body.
    const body = request.body ? new TextDecoder().decode(await request.clone().arrayBuffer()) : ''
    requests.push({ method: request.method, url: request.url, headers, body })

    const url = new URL(request.url)
    if (request.signal?.aborted) throw request.signal.reason
    const route = routes.get(url.origin)
    // app.plex.tv only serves the approval page.
    if (!route && url.origin === APP_PLEX_TV && url.pathname === '/auth') return authPage(seed.accounts)
    if (!route) throw networkError()

    if (!url.pathname.startsWith('/__fake/')) {
      const fault = faults.take(route.host, request, url.pathname)
      if (fault?.kind === 'network') throw networkError()
      if (fault?.kind === 'status') return statusFaultResponse(fault)
      if (fault?.kind === 'garbage') {
        return new Response(GARBAGE_BODY, { status: 200, headers: { 'content-type': 'application/json' } })
      }
      if (fault?.kind === 'delay') await sleep(fault.ms, request.signal)
    }
    return route.app.fetch(request)
  }

  const fake: FakePlex = {
    fetch: (input, init) => {
      try {
        return handle(new Request(input, init))
      } catch (error) {
        return Promise.reject(error)
      }
    },
    handle,
    requests,
    plexTvUrl: plexTvOrigin,
    get servers() {
      return seed.servers.map(({ id, name, url, ownerLogin }) => ({ id, name, url, ownerLogin }))
    },
    get accounts() {
      return seed.accounts.map((account) => ({ ...account }))
    },
    approvePin(idOrCode, login) {
      const pin = state.findPin(idOrCode)
      if (!pin) throw new Error(`fake-plex: no live PIN ${JSON.stringify(idOrCode)}`)
      return state.approvePin(pin, login)
    },
    expirePin(idOrCode) {
      const pin = state.findPin(idOrCode)
      if (pin) pin.expired = true
    },
    restartServer: (serverId) => state.restartServer(serverId),
    revokeToken: (token) => {
      state.revokeToken(token)
    },
    issueToken: (login, device) => state.issueToken(login, device && { product: '', name: '', ...device }),
    devices: (login) => state.devices(login),
    removeDevice: (clientIdentifier) => state.removeDevice(clientIdentifier),
    withdrawShare: (serverId, login) => state.withdrawShare(serverId, login),
    deviceKeys: (login) => {
      const account = state.requireAccount(login)
      return [...state.deviceKeys.values()]
        .filter((key) => key.login === account.login)
        .map((key) => ({ ...key, jwk: { ...key.jwk }, device: { ...key.device } }))
    },
    get signingKeys() {
      return state.signingKeys.map((key) => ({ ...key }))
    },
    rotateSigningKey: () => state.rotateSigningKey(),
    inject: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    reset() {
      state.reset()
      faults.clear()
      requests.length = 0
    },
    snapshot: () => state.snapshot(),
    restore: (saved) => state.restore(saved),
  }
  return fake
}
