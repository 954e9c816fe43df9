import { Hono } from 'hono'
import type { AppEnv } from '../app.ts'
import { clearedSessionCookie, requireSession } from '../session.ts'
import { readBody } from '../validation.ts'

/** `POST /v1/sign-out`: deletes the session and its cached tokens, and clears the cookie. */
export const signOut = new Hono<AppEnv>().post('/v1/sign-out', requireSession, async (c) => {
  await readBody(c, { optional: true })
  await c.var.store.deleteSession(c.var.session.hash)
  c.header('Set-Cookie', clearedSessionCookie)
  return c.body(null, 204)
})
