import { isPlexError } from '@plex-auth/core'
import { described } from '../http/described.ts'
import { ProblemError } from '../http/problem.ts'
import { clientIp, enforceRateLimit } from '../http/rate-limit.ts'
import { SignedInResponse } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs, UPSTREAM_PROBLEMS } from '../http/route.ts'
import { SessionExchangeBody } from '../http/schemas.ts'
import { readBody, validate } from '../http/validation.ts'
import { newDevice } from '../plex/device.ts'
import { sessionModeOf, startSession } from '../sessions/session.ts'

/**
 * `POST /v1/sessions`: exchanges a Plex token the frontend already has for a session, once plex.tv
 * accepts it (GetTokenDetails). The worker cannot know which device the token was made for, so the
 * session's own calls use a fresh identifier; the token stays the frontend's: sign-out does not revoke it.
 */
export const sessions = defineRoute(
  {
    method: 'POST',
    path: '/v1/sessions',
    opensSession: true,
  },
  async (c) => {
    const { config, plexFor } = c.var
    const mode = sessionModeOf(c)
    const input = validate(SessionExchangeBody, await readBody(c))
    // Legacy tokens have no dot. A Plex JWT could reach no server the account owns (servers refuse it) and
    // could not be renewed without its device key: said plainly rather than failing a week later.
    if (input.plexToken.includes('.')) {
      throw new ProblemError('invalid_request', 'The request is invalid.', {
        issues: [
          {
            path: 'plexToken',
            message:
              'Expected a legacy plex.tv token: a Plex JWT cannot be exchanged (media servers refuse it, and the worker cannot renew it without its device key)',
          },
        ],
      })
    }
    await enforceRateLimit(config.signInLimiter, [`sessions:ip:${clientIp(c)}`])
    const device = newDevice(c.req.header('User-Agent'))
    let user: object
    try {
      user = await plexFor(device).getTokenDetails({ token: input.plexToken })
    } catch (error) {
      if (isPlexError(error, 'unauthorized'))
        throw new ProblemError('invalid_credentials', 'Plex did not accept this token.')
      throw error
    }
    return startSession(c, {
      plexToken: input.plexToken,
      obtained: false,
      source: 'exchange',
      device,
      user,
      mode,
    })
  },
)

/** OpenAPI text of `sessions`: only the build-time document reads it (routes/route-docs.ts). */
export const sessionsDocs = (): RouteDocs => ({
  summary: 'Exchange a Plex token the frontend already has for a session (never revoked by sign-out)',
  description:
    'The worker cannot know which device the token was made for: the session makes its calls under a fresh ' +
    'client identifier, and sign-out never revokes this token.',
  request: {
    body: {
      schema: described(SessionExchangeBody, {
        plexToken:
          'A legacy plex.tv token the frontend already has (for example from its own PIN flow); not a Plex JWT.',
      }),
    },
  },
  response: { status: 201, description: 'Signed in', schema: SignedInResponse, setsCookie: true },
  problems: [
    'not_a_member',
    'invalid_request',
    'invalid_credentials',
    'origin_not_allowed',
    'payload_too_large',
    'unsupported_media_type',
    ...UPSTREAM_PROBLEMS,
  ],
})
