import { described } from '../http/described.ts'
import { SessionsResponse } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs, SESSION_PROBLEMS } from '../http/route.ts'
import { SessionsQuery } from '../http/schemas.ts'
import { readQuery, validate } from '../http/validation.ts'
import { requireSession } from '../sessions/session.ts'
import type { LineageEntry } from '../sessions/session-lineage.ts'

/** Sessions per page: the page is one Durable Object call and no KV operation, whatever its size. */
export const SESSIONS_PER_PAGE = 50

/** A session as its owner sees it in the list: no token, no device identifier, no hash. */
function listed(entry: LineageEntry, currentId: string) {
  return {
    id: entry.id,
    createdAt: new Date(entry.createdAt).toISOString(),
    lastUsedAt: new Date(entry.usedAt).toISOString(),
    deviceName: entry.deviceName,
    method: entry.method,
    current: entry.id === currentId,
  }
}

/**
 * `GET /v1/sessions`: the signed-in account's alive sessions, newest first, a page at a time, from its
 * lineage (a Durable Object, strongly consistent: a session ended anywhere is gone from the list at once).
 */
export const sessionsList = defineRoute(
  {
    method: 'GET',
    path: '/v1/sessions',
    session: true,
  },
  requireSession,
  async (c) => {
    const { session, lineage } = c.var
    const { cursor } = validate(SessionsQuery, readQuery(c))
    // A Home user's session is in the admin's lineage: it sees only itself.
    if (session.home) {
      const self = await lineage.find(session.accountUuid, session.id)
      return c.json({ sessions: self && !cursor ? [listed(self, session.id)] : [] })
    }
    const page = await lineage.list(session.accountUuid, SESSIONS_PER_PAGE, cursor)
    return c.json({
      sessions: page.sessions.map((entry) => listed(entry, session.id)),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    })
  },
)

/** OpenAPI text of `sessionsList`: only the build-time document reads it (routes/route-docs.ts). */
export const sessionsListDocs = (): RouteDocs => ({
  summary: "The account's sessions (never their tokens), newest first; `current` marks this one",
  description:
    `${SESSIONS_PER_PAGE} per page: pass the answer's \`cursor\` as \`?cursor=\` for the next. ` +
    "A Home user's session sees only itself.",
  request: { query: described(SessionsQuery, { cursor: 'The `cursor` of the previous page.' }) },
  response: { status: 200, description: "The account's sessions", schema: SessionsResponse },
  problems: [...SESSION_PROBLEMS, 'invalid_request'],
})
