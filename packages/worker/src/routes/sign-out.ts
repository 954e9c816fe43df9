import { defineRoute } from '../route.ts'
import { clearedSessionCookie, requireSession } from '../session.ts'
import { readBody } from '../validation.ts'

/**
 * `POST /v1/sign-out`: revokes at plex.tv the Plex token the worker obtained itself (password or PIN
 * sign-in; best effort), as the session's own device, so exactly that device leaves the user's
 * "Authorized Devices"; deletes the session and its cached tokens, and clears the cookie. A token the
 * frontend brought (`POST /v1/sessions`) is left alone: it is not ours to end.
 */
export const signOut = defineRoute(
  {
    method: 'POST',
    path: '/v1/sign-out',
    summary: 'Ends the session: deletes it and its cached tokens, clears the cookie',
    session: true,
    response: { status: 204, description: 'Signed out (the cookie is cleared)', setsCookie: true },
    problems: ['unauthenticated', 'origin_not_allowed'],
  },
  requireSession,
  async (c) => {
    const { plex, session, store } = c.var
    await readBody(c, { optional: true })
    if (session.source !== 'exchange') {
      try {
        await plex.signOut({ token: session.plexToken })
      } catch {
        // Best effort: the session ends here whatever plex.tv says.
      }
    }
    await store.deleteSession(session.hash)
    c.header('Set-Cookie', clearedSessionCookie)
    return c.body(null, 204)
  },
)
