import { isPlexError } from '@plex-auth/core'
import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { jwtRefreshDue, renewJwt } from '../jwt-session.ts'
import { settleKeepAlive } from '../keep-alive.ts'
import { ProblemError } from '../problem.ts'
import { enforceRateLimit } from '../rate-limit.ts'
import { defineRoute, SESSION_PROBLEMS, UPSTREAM_PROBLEMS } from '../route.ts'
import { HomeSwitchBody, SignedInResponse } from '../schemas.ts'
import { orRejectSession, requireSession, sessionModeOf, startSession } from '../session.ts'
import type { HomeLink, JwtCredentials } from '../session-store.ts'
import { sha256 } from '../token-crypto.ts'
import { readBody, validate } from '../validation.ts'

/** The account switched from, as a Home link carries it (without the Home user). */
type SwitchedFrom = Omit<HomeLink, 'userUuid'>

/**
 * The admin's credentials, usable now: a Plex JWT with less than a day left (or expired: nothing renews
 * it while a managed user holds the session) is renewed first, with its own device key. A key plex.tv no
 * longer knows ends the session.
 */
async function freshAdmin(c: Context<AppEnv>, from: SwitchedFrom): Promise<SwitchedFrom> {
  const { session, plex, now } = c.var
  const admin = { ...session, plexToken: from.adminToken, ...(from.adminJwt ? { jwt: from.adminJwt } : {}) }
  if (!from.adminJwt || !jwtRefreshDue(admin, now())) return from
  const renewed = await orRejectSession(c, renewJwt(plex, admin))
  if (!renewed.plexToken || !renewed.jwt) return from
  return { ...from, adminToken: renewed.plexToken, adminJwt: renewed.jwt }
}

/**
 * `POST /v1/home/switch`: switches to a member of the session's Plex Home by opening a new session for
 * it and deleting the old one. The new session holds the member's own plex.tv token and, sealed with it,
 * the token it was switched from (`home`): a switch back to that account reuses it, with no PIN, and a
 * switch to another member goes through it. Same Plex device as the old session, same sign-in method.
 */
export const homeSwitch = defineRoute(
  {
    method: 'POST',
    path: '/v1/home/switch',
    summary: 'Switch to a Plex Home user (with its PIN when protected): opens a new session, ends this one',
    description:
      'Answers like sign-in (the cookie, or the token with `X-Session-Mode: bearer`); the old session token stops working. ' +
      'The new session acts for the Home user: GET /v1/user and GET /v1/servers answer for it. It keeps the account it came ' +
      "from sealed in KV, so switching back to that account (its `uuid`) needs no PIN: it needs this session. A protected user's " +
      'missing or wrong `pin` is 403 `home_pin_required` (PIN attempts are limited per Home and user: 429 with Retry-After); ' +
      'switching back to an admin who has a Home PIN asks for that PIN too; switching to the user the session already acts for is 400. ' +
      'a `uuid` outside the Home is 404 `not_found`.',
    session: true,
    opensSession: true,
    request: { body: { schema: HomeSwitchBody } },
    response: {
      status: 201,
      description: 'Switched: a new session for the Home user',
      schema: SignedInResponse,
      setsCookie: true,
    },
    problems: [
      'not_a_member',
      ...SESSION_PROBLEMS,
      'invalid_request',
      'home_pin_required',
      'forbidden',
      'not_found',
      'origin_not_allowed',
      'payload_too_large',
      'unsupported_media_type',
      ...UPSTREAM_PROBLEMS,
    ],
  },
  requireSession,
  async (c) => {
    const { config, plex, session, store } = c.var
    const mode = sessionModeOf(c)
    const input = validate(HomeSwitchBody, await readBody(c))
    // Four digits fall to guessing: PIN attempts are counted per Home (the admin account) and target user,
    // so neither a new sign-in (a new device) nor a switch away and back resets the count. Workers Rate
    // Limiting counts per Cloudflare location: a patient attacker spread over locations gets more tries.
    const limitPinAttempts = async (adminUuid: string): Promise<void> => {
      if (input.pin === undefined) return
      await enforceRateLimit(config.verificationCodeLimiter, [
        `home-pin:${await sha256(adminUuid)}:${input.uuid}`,
      ])
    }
    const alreadyThisUser = (): ProblemError =>
      new ProblemError('invalid_request', 'The session already acts for this user.', {
        issues: [{ path: 'uuid', message: 'Invalid uuid: this session already acts for this user' }],
      })
    const open = async (
      plexToken: string,
      user: object,
      home?: HomeLink,
      jwt?: JwtCredentials,
    ): Promise<Response> => {
      const res = await startSession(c, {
        plexToken,
        source: session.source,
        device: session,
        user,
        mode,
        ...(home ? { home } : {}),
        ...(jwt ? { jwt } : {}),
      })
      // A keep-alive of the old session running here would write its `state:` after the deletion (endSession).
      await settleKeepAlive(session.hash)
      await store.deleteSession(session)
      return res
    }

    // The account switched from, or this session's own when it came from no switch.
    let from: SwitchedFrom
    if (session.home) {
      const { userUuid, ...link } = session.home
      // A switch to oneself would only copy the session (and a burst of them would fork it).
      if (input.uuid === userUuid) throw alreadyThisUser()
      from = await freshAdmin(c, link)
      await limitPinAttempts(from.adminUuid)
      if (input.uuid === from.adminUuid) {
        // Back to the account switched from: its token is sealed here. An admin without a Home PIN needs
        // no switch at plex.tv, and a Plex JWT goes back with its device key. An admin with a PIN gets it
        // asked for, as Plex asks it even of the admin: holding a kid's session is not being the admin.
        // A dead token switched from ends the session: it was the session's way back.
        const members = await orRejectSession(c, plex.getHomeUsers({ token: from.adminToken }))
        const admin = members.find((user) => user.uuid === from.adminUuid)
        if (!admin?.protected) {
          const account = await orRejectSession(c, plex.getTokenDetails({ token: from.adminToken }))
          return open(from.adminToken, account, undefined, from.adminJwt)
        }
      }
    } else {
      const account = await orRejectSession(c, plex.getTokenDetails({ token: session.plexToken }))
      if (input.uuid === account.uuid) throw alreadyThisUser()
      await limitPinAttempts(account.uuid)
      from = {
        adminToken: session.plexToken,
        adminUuid: account.uuid,
        ...(session.jwt ? { adminJwt: session.jwt } : {}),
      }
    }

    let switched: Awaited<ReturnType<typeof plex.switchHomeUser>>
    try {
      // A dead token switched from ends the session: it was the session's way around the Home.
      switched = await orRejectSession(
        c,
        plex.switchHomeUser({
          token: from.adminToken,
          uuid: input.uuid,
          ...(input.pin === undefined ? {} : { pin: input.pin }),
        }),
      )
    } catch (error) {
      if (isPlexError(error, 'not_found'))
        throw new ProblemError('not_found', "This account's Plex Home has no user with this uuid.")
      throw error
    }
    // Back to a protected admin: plex.tv checked the PIN and issued the admin a new token (for this
    // device, so it retires the sealed one): the session carries on with it, as a plain admin session.
    if (switched.uuid === from.adminUuid) return open(switched.authToken, switched)
    // The managed user's earlier token on this device is left to plex.tv (the next switch to that user
    // rotates it): its sign-out revokes the token's device, which the admin's token shares.
    return open(switched.authToken, switched, { ...from, userUuid: switched.uuid })
  },
)
