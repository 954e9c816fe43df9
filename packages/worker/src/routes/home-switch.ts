import { isPlexError } from '@plex-auth/core'
import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { described } from '../http/described.ts'
import { ProblemError } from '../http/problem.ts'
import { enforceRateLimit } from '../http/rate-limit.ts'
import { SignedInResponse } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs, SESSION_PROBLEMS, UPSTREAM_PROBLEMS } from '../http/route.ts'
import { HomeSwitchBody } from '../http/schemas.ts'
import { readBody, validate } from '../http/validation.ts'
import { jwtRefreshDue, renewJwt } from '../sessions/jwt-session.ts'
import { settleKeepAlive } from '../sessions/keep-alive.ts'
import { orRejectSession, requireSession, sessionModeOf, startSession } from '../sessions/session.ts'
import { obtainedTokens } from '../sessions/session-end.ts'
import type { HomeLink, JwtCredentials } from '../sessions/session-store.ts'
import { sha256 } from '../sessions/token-crypto.ts'

/** How long a switch's lock outlives the plex.tv call it covers (UPSTREAM_TIMEOUT_MS): the answer's way back. */
const SWITCH_LOCK_MARGIN_MS = 5_000

/** The account switched from, as a Home link carries it (without the Home user). */
type SwitchedFrom = Omit<HomeLink, 'userUuid'>

/**
 * The admin's credentials, usable now: a Plex JWT with less than a day left (or expired: nothing renews
 * it while a managed user holds the session) is renewed first, with its own device key. A key plex.tv no
 * longer knows ends the session.
 */
async function freshAdmin(c: Context<AppEnv>, link: HomeLink): Promise<SwitchedFrom> {
  const { userUuid: _user, ...from } = link
  const { session, plex, now } = c.var
  const admin = { ...session, plexToken: from.adminToken, ...(from.adminJwt ? { jwt: from.adminJwt } : {}) }
  if (!from.adminJwt || !jwtRefreshDue(admin, now())) return from
  const renewed = await orRejectSession(c, renewJwt(plex, admin))
  if (!renewed.plexToken || !renewed.jwt) return from
  // A renewal is plex.tv's answer to the worker: the worker's to revoke.
  return { ...from, adminToken: renewed.plexToken, adminTokenObtained: true, adminJwt: renewed.jwt }
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
    session: true,
    opensSession: true,
  },
  requireSession,
  async (c) => {
    const { config, plex, session, store, lineage } = c.var
    const mode = sessionModeOf(c)
    const input = validate(HomeSwitchBody, await readBody(c))
    let lock: string | undefined
    const open = async (
      plexToken: string,
      user: object,
      home?: HomeLink,
      jwt?: JwtCredentials,
      obtained = true,
    ): Promise<Response> => {
      // Consumes this session in its lineage in the same step as the new one is listed: of any number of
      // switches from one session, one succeeds and the others get 401 (startSession).
      let res: Response
      try {
        res = await startSession(c, {
          plexToken,
          obtained,
          source: session.source,
          device: session,
          user,
          mode,
          consumes: session,
          ...(lock ? { lock } : {}),
          ...(home ? { home } : {}),
          ...(jwt ? { jwt } : {}),
        })
      } catch (error) {
        // Refused (the access policy, or the session consumed meanwhile): the next switch need not wait.
        if (lock) await lineage.unlock(session, lock)
        throw error
      }
      // A keep-alive of the old session running here would write its `state:` after the deletion.
      await settleKeepAlive(session.hash)
      // Its tokens live on in the new session (same device): deleted from KV, not revoked.
      await store.deleteSession(session)
      return res
    }

    // The account switched from, or this session's own when it came from no switch.
    let from: SwitchedFrom
    if (session.home) from = await freshAdmin(c, session.home)
    else {
      const account = await orRejectSession(c, plex.getTokenDetails({ token: session.plexToken }))
      from = {
        adminToken: session.plexToken,
        adminTokenObtained: obtainedTokens(session).includes(session.plexToken),
        adminUuid: account.uuid,
        ...(session.jwt ? { adminJwt: session.jwt } : {}),
      }
    }
    // The Home list names the target exactly: PIN attempts are counted per resolved user (not per spelling
    // of its uuid), and a uuid outside the Home is 404 before plex.tv is asked. A dead token switched from
    // ends the session: it was the session's way around the Home.
    const members = await orRejectSession(c, plex.getHomeUsers({ token: from.adminToken }))
    const wanted = input.uuid.toLowerCase()
    const target =
      members.find((user) => user.uuid === input.uuid) ??
      members.find((user) => user.uuid.toLowerCase() === wanted)
    if (!target) throw new ProblemError('not_found', "This account's Plex Home has no user with this uuid.")
    // A switch to oneself would only copy the session.
    if (target.uuid === (session.home?.userUuid ?? from.adminUuid))
      throw new ProblemError('invalid_request', 'The session already acts for this user.', {
        issues: [{ path: 'uuid', message: 'Invalid uuid: this session already acts for this user' }],
      })
    // Four digits fall to guessing: PIN attempts are counted per Home (the admin account) and resolved user,
    // so neither a new sign-in (a new device), a switch away and back, nor another spelling resets the count.
    // Workers Rate Limiting counts per Cloudflare location: a patient attacker spread over locations gets more.
    if (input.pin !== undefined)
      await enforceRateLimit(config.verificationCodeLimiter, [
        `home-pin:${await sha256(from.adminUuid)}:${target.uuid}`,
      ])
    // Back to the account switched from, which the Home list names as unprotected: its token is sealed
    // here, so no switch at plex.tv, and a Plex JWT goes back with its device key. Any other case (a Home
    // PIN, or an admin the list does not name) goes through plex.tv, which asks for the PIN: holding a
    // kid's session is not being the admin.
    if (target.uuid === from.adminUuid && !target.protected) {
      const account = await orRejectSession(c, plex.getTokenDetails({ token: from.adminToken }))
      return open(from.adminToken, account, undefined, from.adminJwt, from.adminTokenObtained ?? true)
    }

    // plex.tv's new token for this device retires the device's earlier one: one switch at a time per
    // session, or concurrent switches would spoil the token of the one that wins.
    lock = await lineage.lock(session, config.timeoutMs + SWITCH_LOCK_MARGIN_MS)
    if (!lock)
      throw new ProblemError('unauthenticated', 'This session is being switched already, or has ended.')
    let switched: Awaited<ReturnType<typeof plex.switchHomeUser>>
    try {
      switched = await orRejectSession(
        c,
        plex.switchHomeUser({
          token: from.adminToken,
          uuid: target.uuid,
          ...(input.pin === undefined ? {} : { pin: input.pin }),
        }),
      )
    } catch (error) {
      await lineage.unlock(session, lock)
      if (isPlexError(error, 'not_found'))
        throw new ProblemError('not_found', "This account's Plex Home has no user with this uuid.")
      throw error
    }
    // Back to a protected admin: plex.tv checked the PIN and issued the admin a new token (for this
    // device, so it retires the sealed one): the session carries on with it, as a plain admin session,
    // and it is the worker's to revoke whatever token the chain began with.
    if (switched.uuid === from.adminUuid) return open(switched.authToken, switched)
    // The managed user's earlier token on this device is left to plex.tv (the next switch to that user
    // rotates it): its sign-out revokes the token's device, which the admin's token shares.
    return open(switched.authToken, switched, { ...from, userUuid: switched.uuid })
  },
)

/** OpenAPI text of `homeSwitch`: only the build-time document reads it (routes/route-docs.ts). */
export const homeSwitchDocs = (): RouteDocs => ({
  summary: 'Switch to a Plex Home user (with its PIN when protected): opens a new session, ends this one',
  description:
    'Answers like sign-in (the cookie, or the token with `X-Session-Mode: bearer`; a request authenticated by the cookie always ' +
    'gets a cookie); the old session token stops working, and of concurrent switches from one session exactly one succeeds (the others: 401). ' +
    'The new session acts for the Home user: GET /v1/user and GET /v1/servers answer for it. It keeps the account it came ' +
    "from sealed in KV, so switching back to that account (its `uuid`) needs no PIN: it needs this session. A protected user's " +
    'missing or wrong `pin` is 403 `home_pin_required` (PIN attempts are limited per Home and user: 429 with Retry-After); ' +
    'switching back to an admin who has a Home PIN, or whom the Home list does not name, goes through plex.tv and its PIN; ' +
    'switching to the user the session already acts for is 400; a `uuid` outside the Home is 404 `not_found`.',
  request: {
    body: {
      schema: described(HomeSwitchBody, {
        uuid: 'The `uuid` of a Home user from GET /v1/home/users (letters and digits, as Plex makes them).',
        pin: "The Home user's 4-digit PIN, when it is `protected`. Sent to plex.tv only, never stored.",
      }),
    },
  },
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
})
