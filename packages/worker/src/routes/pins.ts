import { isPlexError } from '@plex-auth/core'
import { described } from '../http/described.ts'
import { ProblemError } from '../http/problem.ts'
import { clientIp, enforceRateLimit } from '../http/rate-limit.ts'
import { PinCreatedResponse, PinStatusResponse } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs, UPSTREAM_PROBLEMS } from '../http/route.ts'
import { PinBody, PinParams } from '../http/schemas.ts'
import { isAllowedOrigin } from '../http/security.ts'
import { readBody, validate } from '../http/validation.ts'
import { newDevice } from '../plex/device.ts'
import { jwtExpiresAt } from '../sessions/jwt-session.ts'
import { sessionModeOf, startSession } from '../sessions/session.ts'
import { randomToken, sha256 } from '../sessions/token-crypto.ts'

/** PIN_POLL_LIMITER's window in wrangler.toml (`period`). */
const POLL_RETRY_AFTER_SECONDS = 10

/**
 * Polls closer together than this answer from memory instead of asking plex.tv again (per isolate,
 * never KV): a frontend polling fast costs plex.tv one request a second per PIN at most.
 */
export const PIN_CHECK_INTERVAL_MS = 1000
/** Keyed by the poll token's hash: unique per PIN creation, where Plex PIN ids are only unique per plex.tv. */
const lastPendingCheck = new Map<string, number>()

const POLL_TOKEN = /^[A-Za-z0-9_-]{43}$/

function expired(): ProblemError {
  return new ProblemError('pin_expired', 'This PIN expired; start again with POST /v1/pins.')
}

/**
 * `POST /v1/pins`: starts a PIN sign-in (Plex's recommended way: no password reaches us) as a new Plex
 * device. Answers the app.plex.tv URL to open and a `pollToken`: Plex PIN ids are guessable, so only the
 * holder of the poll token (stored hashed) can claim the PIN here, and only the PIN's own random client
 * identifier can claim it at plex.tv. Limited per client IP (/64) and worker-wide. With
 * PLEX_TOKEN_KIND=jwt (the default) the device gets an Ed25519 key, sealed with the PIN record, and the
 * PIN yields a Plex JWT for it.
 */
export const createPin = defineRoute(
  {
    method: 'POST',
    path: '/v1/pins',
  },
  async (c) => {
    const { config, plexFor, store, now } = c.var
    const input = validate(PinBody, await readBody(c, { optional: true }))
    if (input.forwardUrl !== undefined && !isAllowedOrigin(c, new URL(input.forwardUrl).origin)) {
      // app.plex.tv redirects there after approval: an open redirect unless it is one of ours.
      throw new ProblemError('invalid_request', 'The request is invalid.', {
        issues: [{ path: 'forwardUrl', message: 'Invalid forwardUrl: expected a URL on an allowed origin' }],
      })
    }
    await enforceRateLimit(config.signInLimiter, [`pins:ip:${clientIp(c)}`])
    await enforceRateLimit(config.pinCreateLimiter, ['pins:all'])
    const device = newDevice(c.req.header('User-Agent'))
    const plex = plexFor(device)
    // Generated here, not at the poll: plex.tv binds the PIN to the key's public half.
    const deviceKey = config.tokenKind === 'jwt' ? await plex.generateDeviceKey() : undefined
    const pin = await plex.createPin({ strong: true, ...(deviceKey ? { deviceKey } : {}) })
    const pollToken = randomToken()
    const parsed = Date.parse(pin.expiresAt)
    const expiresAt = Number.isFinite(parsed) ? parsed : now() + pin.expiresIn * 1000
    const id = String(pin.id)
    await store.createPin({
      id,
      pollTokenHash: await sha256(pollToken),
      expiresAt,
      ...device,
      ...(deviceKey ? { deviceKey } : {}),
    })
    const authUrl = plex.buildAuthUrl({
      code: pin.code,
      appUrl: config.appUrl,
      ...(input.forwardUrl !== undefined ? { forwardUrl: input.forwardUrl } : {}),
    })
    return c.json(
      { id, code: pin.code, authUrl, expiresAt: new Date(expiresAt).toISOString(), pollToken },
      201,
    )
  },
)

/**
 * `GET /v1/pins/{id}` with `X-Poll-Token`: `pending` until the user approves, then `authorized` with a
 * new session, once (the PIN record is deleted when claimed). KV is only read here, never written per poll.
 */
export const pollPin = defineRoute(
  {
    method: 'GET',
    changesState: true,
    path: '/v1/pins/{id}',
    opensSession: true,
  },
  async (c) => {
    const { config, plexFor, store, now } = c.var
    const mode = sessionModeOf(c)
    const { id } = validate(PinParams, { id: c.req.param('id') })
    const pollToken = c.req.header('X-Poll-Token')
    if (pollToken === undefined || !POLL_TOKEN.test(pollToken)) {
      throw new ProblemError('unauthenticated', 'Send the pollToken from POST /v1/pins as X-Poll-Token.')
    }
    const pollTokenHash = await sha256(pollToken)
    // Per PIN and poll token: PIN ids are guessable, so a stranger polling the same id with a wrong token
    // spends only their own allowance, never the real poller's. Per client IP (/64) too, so one client
    // cannot flood the worker (and plex.tv) with polls spread over many PINs.
    await enforceRateLimit(
      config.pinPollLimiter,
      [`pin:${id}:${pollTokenHash}`, `pins:ip:${clientIp(c)}`],
      POLL_RETRY_AFTER_SECONDS,
    )
    const pin = await store.getPin(id)
    // Unknown, claimed, or someone else's: the same answer, so ids cannot be probed.
    if (!pin || pin.pollTokenHash !== pollTokenHash) {
      throw new ProblemError('not_found', 'No such PIN: unknown, already claimed, or not yours.')
    }
    if (pin.expiresAt <= now()) throw expired()
    const last = lastPendingCheck.get(pin.pollTokenHash)
    if (last !== undefined && now() - last < PIN_CHECK_INTERVAL_MS)
      return c.json({ status: 'pending' as const })

    const plex = plexFor(pin)
    let authToken: string | null
    try {
      // With a key, each poll proves possession of it (a fresh device JWT) and authToken is a Plex JWT.
      ;({ authToken } = await plex.checkPin({
        id: Number(id),
        ...(pin.deviceKey ? { deviceKey: pin.deviceKey } : {}),
      }))
    } catch (error) {
      // Quirk: plex.tv answers an expired PIN with 404 (code 1020).
      if (isPlexError(error, 'not_found')) throw expired()
      throw error
    }
    if (!authToken) {
      if (lastPendingCheck.size > 10_000) lastPendingCheck.clear()
      lastPendingCheck.set(pin.pollTokenHash, now())
      return c.json({ status: 'pending' as const })
    }
    lastPendingCheck.delete(pin.pollTokenHash)
    const jwt = pin.deviceKey ? { deviceKey: pin.deviceKey, expiresAt: jwtExpiresAt(authToken) } : undefined
    let user: object
    try {
      user = await plex.getTokenDetails({ token: authToken })
    } catch (error) {
      if (isPlexError(error, 'unauthorized'))
        throw new ProblemError('upstream_invalid_response', 'Plex issued a token it rejects.')
      throw error
    }
    await store.deletePin(id)
    return startSession(c, {
      plexToken: authToken,
      obtained: true,
      source: 'pin',
      device: pin,
      user,
      mode,
      ...(jwt ? { jwt } : {}),
      status: 200,
      extra: { status: 'authorized' },
    })
  },
)

/** OpenAPI text of `createPin`: only the build-time document reads it (routes/route-docs.ts). */
export const createPinDocs = (): RouteDocs => ({
  summary: 'Start a PIN sign-in: open `authUrl` for the user, then poll GET /v1/pins/{id} with `pollToken`',
  request: {
    body: {
      schema: described(PinBody, {
        forwardUrl: 'Where app.plex.tv sends the user after approving. Must be on an allowed origin.',
      }),
      optional: true,
    },
  },
  response: { status: 201, description: 'A PIN', schema: PinCreatedResponse },
  problems: [
    'invalid_request',
    'origin_not_allowed',
    'payload_too_large',
    'unsupported_media_type',
    ...UPSTREAM_PROBLEMS,
  ],
})

/** OpenAPI text of `pollPin`: only the build-time document reads it (routes/route-docs.ts). */
export const pollPinDocs = (): RouteDocs => ({
  summary: 'Poll a PIN: pending until the user approves, then authorized with a new session (exactly once)',
  request: {
    params: described(PinParams, { id: 'The PIN id from POST /v1/pins.' }),
    headers: [{ name: 'X-Poll-Token', description: 'The `pollToken` from POST /v1/pins.', required: true }],
  },
  response: {
    status: 200,
    description: 'Pending, or authorized',
    schema: PinStatusResponse,
    setsCookie: true,
  },
  problems: [
    'invalid_request',
    'unauthenticated',
    'not_a_member',
    'not_found',
    'pin_expired',
    ...UPSTREAM_PROBLEMS,
  ],
})
