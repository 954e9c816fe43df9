/** plex.tv's JWT routes (on clients.plex.tv): /api/v2/auth/keys, /auth/jwk, /auth/nonce, /auth/token. */
import type { Hono } from 'hono'
import { checkDeviceJwt, headerKid, parsePublicJwk, publishedJwk, thumbprintOf } from './jwt.ts'
import { PLEX_TV_ERRORS, plexTvError } from './plex-errors.ts'
import { type RateLimit, requestDevice, tokenCaller } from './plex-tv.ts'
import type { FakeState } from './state.ts'
import { jsonFields, jsonResponse, negotiated } from './wire.ts'

export interface JwtRouteDeps {
  state: FakeState
  nonceRateLimit: RateLimit | false
}

export function registerJwtRoutes(app: Hono, { state, nonceRateLimit }: JwtRouteDeps): void {
  // The JWKS: every signing key of the fake, the retired ones too, so tokens they signed still verify.
  app.get('/api/v2/auth/keys', (c) =>
    negotiated(c.req.raw, 'keys', { keys: state.signingKeys.map(publishedJwk) }),
  )

  // Registers a device key with a legacy token. 422 when another device holds the same key.
  app.post('/api/v2/auth/jwk', async (c) => {
    const caller = tokenCaller(c.req.raw, state)
    if (caller instanceof Response) return caller
    if (caller.member.managed) return plexTvError(c.req.raw, PLEX_TV_ERRORS.unauthenticated)
    const jwk = parsePublicJwk((await jsonFields(c.req.raw))?.jwk)
    if (!jwk) return plexTvError(c.req.raw, PLEX_TV_ERRORS.invalidJwk)
    const thumbprint = await thumbprintOf(jwk)
    const device = requestDevice(c.req.raw)
    const login = caller.member.account.login
    const holder = state.deviceKeys.get(thumbprint)
    if (holder && (holder.login !== login || holder.device.clientIdentifier !== device.clientIdentifier)) {
      return plexTvError(c.req.raw, PLEX_TV_ERRORS.thumbprintTaken)
    }
    state.registerDeviceKey({
      thumbprint,
      jwk,
      login,
      device,
      ...(state.isJwt(caller.token) ? {} : { legacyToken: caller.token }),
    })
    return new Response(null, { status: 201 })
  })

  app.get('/api/v2/auth/nonce', (c) => {
    const clientIdentifier = c.req.header('x-plex-client-identifier') ?? ''
    if (nonceRateLimit && state.overRateLimit(`nonce\u0000${clientIdentifier}`, nonceRateLimit)) {
      return plexTvError(c.req.raw, PLEX_TV_ERRORS.rateLimited)
    }
    return negotiated(c.req.raw, 'nonce', { nonce: state.newNonce() })
  })

  // A device JWT carrying a live nonce, signed by a registered key of this device, buys a Plex JWT.
  app.post('/api/v2/auth/token', async (c) => {
    const jwt = (await jsonFields(c.req.raw))?.jwt
    if (typeof jwt !== 'string') return plexTvError(c.req.raw, PLEX_TV_ERRORS.invalidJwt)
    const header = headerKid(jwt)
    if (!header) return plexTvError(c.req.raw, PLEX_TV_ERRORS.invalidJwt)
    const clientIdentifier = c.req.header('x-plex-client-identifier') ?? ''
    const key = state.findDeviceKey(clientIdentifier, header.kid)
    // Quirk: a key that was never registered for this device, or whose device was removed, is code 1097.
    if (!key) return plexTvError(c.req.raw, PLEX_TV_ERRORS.jwkMissing)
    const check = await checkDeviceJwt(jwt, key.jwk, clientIdentifier, state.now())
    if (!check.ok) return plexTvError(c.req.raw, check.error)
    // Checked after the signature, so that only the key's holder can use up a nonce.
    if (!state.takeNonce(check.payload.nonce)) return plexTvError(c.req.raw, PLEX_TV_ERRORS.invalidNonce)
    const scope = typeof check.payload.scope === 'string' ? check.payload.scope : ''
    const token = await state.issuePlexJwt(key, { scope, nonce: String(check.payload.nonce) })
    // Quirk: the one snake_case field of plex.tv's JSON API.
    return jsonResponse({ auth_token: token })
  })
}
