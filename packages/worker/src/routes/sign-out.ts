import { described } from '../http/described.ts'
import { defineRoute, type RouteDocs } from '../http/route.ts'
import { SignOutBody } from '../http/schemas.ts'
import { readBody, validate } from '../http/validation.ts'
import { endSessions, requireSessionToEnd, SIGN_OUT_CLEANUP_BUDGET } from '../sessions/session.ts'
import { clearedSessionCookie } from '../sessions/session-cookie.ts'

/**
 * `POST /v1/sign-out`: ends the session and clears the cookie. `{everywhere: true}` ends every session
 * of the account in one step of its lineage (a Durable Object), including one a concurrent switch or
 * sign-in is opening; then revokes and deletes the asking session, then others within a fixed KV budget
 * (SIGN_OUT_CLEANUP_BUDGET); the lineage's alarm cleans up the rest in the background (session-end.ts).
 */
export const signOut = defineRoute(
  {
    method: 'POST',
    path: '/v1/sign-out',
    session: true,
  },
  requireSessionToEnd,
  async (c) => {
    const { session } = c.var
    const input = validate(SignOutBody, await readBody(c, { optional: true }))
    // A Home user's session is in the admin's lineage: it may end itself, not the admin's.
    if (input.everywhere && !session.home) await endSessions(c, 'all', { budget: SIGN_OUT_CLEANUP_BUDGET })
    else await endSessions(c, [session.id])
    c.header('Set-Cookie', clearedSessionCookie(c.var.config.sessionCookieDomain))
    return c.body(null, 204)
  },
)

/** OpenAPI text of `signOut`: only the build-time document reads it (routes/route-docs.ts). */
export const signOutDocs = (): RouteDocs => ({
  summary: 'Ends the session (or, with `everywhere`, every session of the account); clears the cookie',
  description:
    "Revokes at plex.tv, as each session's own device, the tokens the worker obtained itself (password and PIN " +
    'sign-ins, Home switches; best effort), so those devices leave the account\'s "Authorized Devices". With ' +
    '`everywhere: true`, every session of the account ends at once (at other Cloudflare locations within ' +
    'SESSION_CACHE_SECONDS); their tokens are revoked and their keys deleted in the background.',
  request: {
    body: {
      schema: described(SignOutBody, {
        everywhere:
          '`true` ends every session of the account at once, not only this one (their tokens are revoked in the background).',
      }),
      optional: true,
    },
  },
  response: { status: 204, description: 'Signed out (the cookie is cleared)', setsCookie: true },
  problems: [
    'invalid_request',
    'unsupported_media_type',
    'payload_too_large',
    'origin_not_allowed',
    'unauthenticated',
  ],
})
