/** plex.tv: /api/v2 routes (user, sign-in, PINs, resources, sign-out, ping); JWT and Home routes: plex-jwt.ts, home.ts. */
import { Hono } from 'hono'
import { checkDeviceJwt, parsePublicJwk, thumbprintOf } from './jwt.ts'
import { invalidTokenResponse, PLEX_TV_ERRORS, plexTvError } from './plex-errors.ts'
import type { SeedConnection, SeedServer } from './seed.ts'
import type { FakeState, HomeMember, Pin, TokenDevice } from './state.ts'
import { managedUserAccount, signInBody, userPlexAccount } from './user.ts'
import { isoSeconds, jsonFields, negotiated } from './wire.ts'

export interface RateLimit {
  limit: number
  windowMs: number
}

export interface PlexTvDeps {
  state: FakeState
  rateLimit: RateLimit | false
}

/**
 * Who the request's X-Plex-Token speaks for, or plex.tv's refusal: 498 for an expired Plex JWT, else 401
 * code 1001 (no, unknown, revoked or retired token).
 */
export function tokenCaller(
  request: Request,
  state: FakeState,
): { token: string; member: HomeMember } | Response {
  const token = requestToken(request)
  // Quirk: an expired Plex JWT is 498, a status outside the HTTP registry.
  if (state.tokenStatus(token) === 'expired') return plexTvError(request, PLEX_TV_ERRORS.tokenExpired)
  const member = state.memberForToken(token)
  if (!member || !token) return plexTvError(request, PLEX_TV_ERRORS.unauthenticated)
  return { token, member }
}

/** The caller's IP as plex.tv sees it behind proxies: CF-Connecting-IP, X-Forwarded-For, else 'local'. */
export function clientIp(request: Request): string {
  const cf = request.headers.get('cf-connecting-ip')
  if (cf) return cf.trim()
  const forwarded = request.headers.get('x-forwarded-for')
  const first = forwarded?.split(',')[0]?.trim()
  return first || 'local'
}

/**
 * Quirk: X-Plex-Device-Name is UTF-8, but fetch only carries header values as bytes (Latin-1 code
 * units). Plex reads the bytes as UTF-8; so does the fake, keeping the value as is when it is not UTF-8.
 */
export function utf8Header(value: string): string {
  const codes = Array.from(value, (char) => char.charCodeAt(0))
  if (codes.some((code) => code > 0xff)) return value
  const bytes = Uint8Array.from(codes)
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    return value
  }
}

/** The device a request speaks for: X-Plex-Client-Identifier, X-Plex-Product, X-Plex-Device-Name. */
export function requestDevice(request: Request): TokenDevice {
  return {
    clientIdentifier: request.headers.get('x-plex-client-identifier') ?? '',
    product: utf8Header(request.headers.get('x-plex-product') ?? ''),
    name: utf8Header(request.headers.get('x-plex-device-name') ?? ''),
  }
}

/** Quirk: Plex reads X-Plex-Token from the header and, too, from the query string (never do that). */
export function requestToken(request: Request): string | null {
  return request.headers.get('x-plex-token') ?? new URL(request.url).searchParams.get('X-Plex-Token')
}

/** Connections of a server, by default one local https connection to its url. */
export function serverConnections(server: SeedServer): SeedConnection[] {
  if (server.connections) return server.connections
  const url = new URL(server.url)
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  const dashed = url.hostname.split('.')[0] ?? url.hostname
  return [
    {
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      address: /^\d+-\d+-\d+-\d+$/.test(dashed) ? dashed.replaceAll('-', '.') : url.hostname,
      port,
      uri: url.origin,
      local: true,
      relay: false,
    },
  ]
}

/** The claims a JWT from a PIN with a key carries when the device JWT asks for none. */
const DEFAULT_PIN_JWT_SCOPE = 'username,email,friendly_name'

function pinBody(pin: Pin, now: number): Record<string, unknown> {
  return {
    id: pin.id,
    code: pin.code,
    product: pin.product,
    trusted: false,
    qr: `https://plex.tv/api/v2/pins/qr/${pin.code}`,
    clientIdentifier: pin.clientIdentifier,
    location: {
      code: 'US',
      european_union_member: false,
      continent_code: 'NA',
      country: 'United States',
      city: 'Chicago',
      time_zone: 'America/Chicago',
      postal_code: '60601',
      in_privacy_restricted_country: false,
      in_privacy_restricted_region: false,
      subdivisions: 'Illinois',
      coordinates: '41.8858, -87.6181',
    },
    expiresIn: Math.max(0, Math.round((pin.expiresAt - now) / 1000)),
    createdAt: isoSeconds(pin.createdAt),
    expiresAt: isoSeconds(pin.expiresAt),
    authToken: pin.authToken,
    newRegistration: null,
  }
}

/**
 * The servers a member sees in /api/v2/resources, with the token to send each one:
 * - owned: the caller's own token, a Plex JWT included (anthonycaccese/240-MP#240);
 * - shared with the caller (a friend): the share's own opaque token;
 * - a managed Home user: the admin's servers with `home: true` and an opaque token per member and server.
 */
function resources(state: FakeState, member: HomeMember, token: string, url: URL): Record<string, unknown>[] {
  const { account, managed } = member
  const includeHttps = url.searchParams.get('includeHttps') === '1'
  const includeRelay = url.searchParams.get('includeRelay') === '1'
  const now = isoSeconds(state.now())
  const devices: Record<string, unknown>[] = []
  for (const server of state.seed.servers) {
    const home = managed !== undefined && server.ownerLogin === account.login
    const owned = !managed && server.ownerLogin === account.login
    const share = managed ? undefined : server.shares?.find((s) => s.login === account.login)
    if (!owned && !share && !home) continue
    const accessToken = owned
      ? token
      : home
        ? state.homeServerToken(account.login, managed.uuid, server.id)
        : share?.accessToken
    const owner = state.findAccount(server.ownerLogin)
    const connections = serverConnections(server)
      .filter((c) => (includeHttps || c.protocol === 'http') && (includeRelay || !c.relay))
      .map(({ reachable: _reachable, ...c }) => ({ ...c, IPv6: c.IPv6 ?? false }))
    devices.push({
      name: server.name,
      product: 'Plex Media Server',
      productVersion: server.version ?? '1.41.3.9314-a0bfb8370',
      platform: 'Linux',
      platformVersion: '6.1.0-28-amd64',
      device: 'Docker Container (LinuxServer.io)',
      clientIdentifier: server.id,
      createdAt: '2020-05-01T12:00:00Z',
      lastSeenAt: now,
      provides: 'server',
      ownerId: owned ? null : (owner?.id ?? null),
      sourceTitle: owned ? null : (owner?.login ?? null),
      publicAddress: '203.0.113.7',
      accessToken,
      owned,
      home,
      synced: false,
      relay: true,
      presence: true,
      httpsRequired: serverConnections(server).every((c) => c.protocol === 'https'),
      publicAddressMatches: false,
      dnsRebindingProtection: false,
      natLoopbackSupported: false,
      connections,
    })
  }
  // Real lists hold players and clients too: callers must filter on `provides`.
  devices.push({
    name: 'Chrome',
    product: 'Plex Web',
    productVersion: '4.145.1',
    platform: 'Chrome',
    platformVersion: '131.0',
    device: 'Linux',
    clientIdentifier: `web-${account.uuid}`,
    createdAt: '2023-01-01T00:00:00Z',
    lastSeenAt: now,
    provides: 'client,player,pubsub-player',
    ownerId: null,
    sourceTitle: null,
    publicAddress: '203.0.113.50',
    accessToken: token,
    owned: true,
    home: false,
    synced: false,
    relay: false,
    presence: false,
    httpsRequired: false,
    publicAddressMatches: false,
    dnsRebindingProtection: false,
    natLoopbackSupported: false,
    connections: [],
  })
  return devices
}

/**
 * Quirk: once a Plex JWT was issued for a client identifier, password or PIN sign-in under that identifier
 * fails (clambin/mediaclients plex/plextv/auth_jwt.go): a client must sign in again as a new device. The
 * status and code are not documented; the fake answers 401 code 1001.
 */
function legacySignInRefused(request: Request, state: FakeState): boolean {
  return state.jwtClientIdentifiers.has(request.headers.get('x-plex-client-identifier') ?? '')
}

/** The plex.tv /api/v2 app. Every route needs X-Plex-Client-Identifier (400 code 1000 without). */
export function createPlexTvApp({ state, rateLimit }: PlexTvDeps): Hono {
  const app = new Hono()

  app.use('/api/*', async (c, next) => {
    const clientIdentifier = c.req.header('x-plex-client-identifier')
    if (!clientIdentifier) return plexTvError(c.req.raw, PLEX_TV_ERRORS.clientIdentifierMissing)
    if (rateLimit && state.overRateLimit(clientIdentifier, rateLimit)) {
      return plexTvError(c.req.raw, PLEX_TV_ERRORS.rateLimited)
    }
    await next()
    return undefined
  })

  app.get('/api/v2/user', (c) => {
    if (state.isRevoked(requestToken(c.req.raw))) return invalidTokenResponse()
    const caller = tokenCaller(c.req.raw, state)
    if (caller instanceof Response) return caller
    const { token, member } = caller
    const body = member.managed
      ? managedUserAccount(member.account, member.managed, token, state.now())
      : userPlexAccount(member.account, token, state.now())
    return negotiated(c.req.raw, 'user', body)
  })

  app.post('/api/v2/users/signin', async (c) => {
    if (legacySignInRefused(c.req.raw, state)) return plexTvError(c.req.raw, PLEX_TV_ERRORS.unauthenticated)
    // Quirk: sign-in reads application/x-www-form-urlencoded only; a JSON body carries no credentials.
    const type = c.req.header('content-type') ?? ''
    const form = new URLSearchParams(
      type.toLowerCase().startsWith('application/x-www-form-urlencoded')
        ? new TextDecoder().decode(await c.req.arrayBuffer())
        : '',
    )
    const result = state.authenticate(
      clientIp(c.req.raw),
      form.get('login') ?? '',
      form.get('password') ?? '',
      form.get('verificationCode') ?? '',
    )
    if (!result.ok) return plexTvError(c.req.raw, result.error)
    // The token belongs to the calling device; an earlier token of this device is retired.
    const token = state.issueToken(result.account.login, requestDevice(c.req.raw))
    const rememberMe = form.get('rememberMe') === 'true'
    // Quirk: success is 201 Created, not 200.
    return negotiated(c.req.raw, 'user', signInBody(result.account, token, state.now(), rememberMe), 201)
  })

  app.post('/api/v2/pins', async (c) => {
    const device = requestDevice(c.req.raw)
    // Quirk: a PIN with a key is a JSON body `{"jwk":{...},"strong":true}`; without one, `?strong=true`.
    const isJson = (c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')
    if (!isJson) {
      if (legacySignInRefused(c.req.raw, state)) return plexTvError(c.req.raw, PLEX_TV_ERRORS.unauthenticated)
      const strong = c.req.query('strong') === 'true'
      const pin = state.createPin(device.clientIdentifier, device.product, device.name, strong)
      return negotiated(c.req.raw, 'pin', pinBody(pin, state.now()), 201)
    }
    const fields = (await jsonFields(c.req.raw)) ?? {}
    const jwk = parsePublicJwk(fields.jwk)
    if (!jwk) return plexTvError(c.req.raw, PLEX_TV_ERRORS.invalidJwk)
    const thumbprint = await thumbprintOf(jwk)
    const holder = state.deviceKeys.get(thumbprint)
    if (holder && holder.device.clientIdentifier !== device.clientIdentifier) {
      return plexTvError(c.req.raw, PLEX_TV_ERRORS.thumbprintTaken)
    }
    const strong = fields.strong === true || c.req.query('strong') === 'true'
    const pin = state.createPin(device.clientIdentifier, device.product, device.name, strong, {
      jwk,
      thumbprint,
    })
    return negotiated(c.req.raw, 'pin', pinBody(pin, state.now()), 201)
  })

  app.get('/api/v2/pins/:id', async (c) => {
    const pin = /^\d+$/.test(c.req.param('id')) ? state.findPin(Number(c.req.param('id'))) : undefined
    const clientIdentifier = c.req.header('x-plex-client-identifier') ?? ''
    // A PIN is only visible to the client identifier that created it.
    if (!pin || pin.clientIdentifier !== clientIdentifier) {
      return plexTvError(c.req.raw, PLEX_TV_ERRORS.pinNotFound)
    }
    if (!pin.jwk || !pin.thumbprint) return negotiated(c.req.raw, 'pin', pinBody(pin, state.now()))
    // A PIN made with a key hands its JWT only to a poll that proves possession of the key.
    const deviceJwt = c.req.query('deviceJWT')
    if (!deviceJwt) return negotiated(c.req.raw, 'pin', pinBody({ ...pin, authToken: null }, state.now()))
    const check = await checkDeviceJwt(deviceJwt, pin.jwk, clientIdentifier, state.now())
    if (!check.ok) return plexTvError(c.req.raw, check.error)
    const key = state.deviceKeys.get(pin.thumbprint)
    if (pin.approvedLogin && !pin.authToken && key) {
      const nonce = typeof check.payload.nonce === 'string' ? check.payload.nonce : crypto.randomUUID()
      const scope = typeof check.payload.scope === 'string' ? check.payload.scope : DEFAULT_PIN_JWT_SCOPE
      pin.authToken = await state.issuePlexJwt(key, { scope, nonce })
    }
    return negotiated(c.req.raw, 'pin', pinBody(pin, state.now()))
  })

  app.get('/api/v2/resources', (c) => {
    const caller = tokenCaller(c.req.raw, state)
    if (caller instanceof Response) return caller
    const { token, member } = caller
    return negotiated(c.req.raw, 'resources', resources(state, member, token, new URL(c.req.url)))
  })

  app.delete('/api/v2/users/signout', (c) => {
    const caller = tokenCaller(c.req.raw, state)
    if (caller instanceof Response) return caller
    state.revokeToken(caller.token)
    return new Response(null, { status: 204 })
  })

  app.get('/api/v2/ping', (c) => {
    const caller = tokenCaller(c.req.raw, state)
    if (caller instanceof Response) return caller
    return negotiated(c.req.raw, 'ping', { pong: true })
  })

  app.notFound((c) => plexTvError(c.req.raw, PLEX_TV_ERRORS.notFound))
  app.onError((_error, c) => plexTvError(c.req.raw, { status: 500, message: 'Internal Server Error' }))
  return app
}
