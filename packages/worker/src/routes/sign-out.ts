import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { clearedSessionCookie, requireSession } from '../session.ts'
import { readBody } from '../validation.ts'

/**
 * `POST /v1/sign-out`: revokes at plex.tv the Plex token the worker obtained itself (password or PIN
 * sign-in; best effort), as the session's own device, so exactly that device leaves the user's
 * "Authorized Devices"; deletes the session and its cached tokens, and clears the cookie. A token the
 * frontend brought (`POST /v1/sessions`) is left alone: it is not ours to end.
 */
export const signOut = new Hono<AppEnv>().post('/v1/sign-out', requireSession, async (c) => {
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
})
