import { defineRoute } from '../route.ts'
import { SignOutBody } from '../schemas.ts'
import { clearedSessionCookie, endSession, requireSessionToEnd } from '../session.ts'
import { readBody, validate } from '../validation.ts'

/** Sessions ended at once by sign-out everywhere: each is a plex.tv call and a few KV operations. */
const PARALLEL_ENDS = 6

/**
 * `POST /v1/sign-out`: ends the session (endSession: revokes at plex.tv a token the worker obtained itself,
 * as the session's own device, and deletes the session and its cached tokens) and clears the cookie.
 * `{everywhere: true}` ends every session of the account the index lists here first: every list page, up
 * to MAX_ACCOUNT_PAGES (2,000 sessions), so sessions forked past the first hundred end too. The index is as
 * consistent as KV: a session opened at another location in the last ~60 s may not be listed yet.
 */
export const signOut = defineRoute(
  {
    method: 'POST',
    path: '/v1/sign-out',
    summary: 'Ends the session (or, with `everywhere`, every session of the account); clears the cookie',
    description:
      "Revokes at plex.tv, as each session's own device, the tokens the worker obtained itself (password and PIN " +
      'sign-ins; best effort), so those devices leave the account\'s "Authorized Devices". With `everywhere: true`, ' +
      "every session of the account that this location's KV lists: one opened elsewhere in the last minute may be missed.",
    session: true,
    request: { body: { schema: SignOutBody, optional: true } },
    response: { status: 204, description: 'Signed out (the cookie is cleared)', setsCookie: true },
    problems: ['invalid_request', 'unsupported_media_type', 'origin_not_allowed', 'unauthenticated'],
  },
  requireSessionToEnd,
  async (c) => {
    const { session, store } = c.var
    const input = validate(SignOutBody, await readBody(c, { optional: true }))
    // A Home user's session is indexed under the admin's account: it may end itself, not the admin's.
    if (input.everywhere && session.accountUuid !== undefined && !session.home) {
      const others = (await store.listAccountSessions(session.accountUuid)).filter(
        (s) => s.hash !== session.hash,
      )
      for (let i = 0; i < others.length; i += PARALLEL_ENDS)
        await Promise.all(others.slice(i, i + PARALLEL_ENDS).map((other) => endSession(c, other)))
    }
    await endSession(c, session)
    c.header('Set-Cookie', clearedSessionCookie)
    return c.body(null, 204)
  },
)
