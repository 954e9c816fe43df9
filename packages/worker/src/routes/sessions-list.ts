import { KEEP_ALIVE_INTERVAL_MS } from '../keep-alive.ts'
import { defineRoute, SESSION_PROBLEMS } from '../route.ts'
import { SessionsResponse } from '../schemas.ts'
import { requireSession } from '../session.ts'
import type { Session } from '../session-store.ts'

const METHODS = { password: 'password', pin: 'pin', exchange: 'token' } as const

/** A session as its owner sees it in the list: no token, no device identifier, no hash. */
function listed(session: Session & { id: string }, current: Session) {
  return {
    id: session.id,
    createdAt: new Date(session.createdAt).toISOString(),
    lastUsedAt: new Date(session.lastUsedAt ?? session.createdAt).toISOString(),
    deviceName: session.deviceName,
    method: METHODS[session.source],
    current: session.hash === current.hash,
  }
}

/**
 * `GET /v1/sessions`: the signed-in account's sessions, newest first, from its index in KV (a list per
 * hundred sessions, two reads per session, a third for the `state:` of one older than a day, which holds
 * its `lastUsedAt`, unless this isolate saw it today). Eventually consistent like KV: a session opened at another location in the last
 * ~60 s may be missing, and one ended there may still show. The asking session is always listed.
 */
export const sessionsList = defineRoute(
  {
    method: 'GET',
    path: '/v1/sessions',
    summary: "The account's sessions (never their tokens), newest first; `current` marks this one",
    description:
      "What this location's KV knows: a session opened or ended at another location in the last minute may not show " +
      'yet. `lastUsedAt` is recorded at most once a day. Sessions opened before sessions were listed are not.',
    session: true,
    response: { status: 200, description: "The account's sessions", schema: SessionsResponse },
    problems: SESSION_PROBLEMS,
  },
  requireSession,
  async (c) => {
    const { session, store } = c.var
    // A Home user's session is indexed under the admin's account: it sees only itself.
    const found =
      session.accountUuid === undefined || session.home
        ? []
        : await store.listAccountSessions(session.accountUuid)
    if (!found.some((s) => s.hash === session.hash)) found.push(session)
    const now = c.var.now()
    // A use is first recorded a day after sign-in at the earliest: a younger session has no state to read.
    const withUse = await Promise.all(
      found.map((s) => (now - s.createdAt < KEEP_ALIVE_INTERVAL_MS ? s : store.withState(s))),
    )
    const sessions = withUse
      .filter((s): s is Session & { id: string } => s.id !== undefined)
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((s) => listed(s, session))
    return c.json({ sessions })
  },
)
