import type { PlexClient } from '../plex/plex.ts'
import type { EndingEntry } from './session-lineage.ts'
import type { PlexDevice, Session, SessionStore } from './session-store.ts'

/*
 * What ending a session does after its lineage (session-lineage.ts) stopped it: revoke at plex.tv the
 * tokens the worker obtained, then delete its KV keys. Shared by the request that ends sessions and by the
 * lineage's alarm, each within a KV budget per invocation.
 */

/** Workers allow 1,000 KV operations per invocation (a request, or one alarm run). */
export const KV_OPERATIONS_PER_INVOCATION = 1000
/**
 * The most KV operations cleaning up one session costs: its session and state read (2), its session,
 * state and servers deleted (3), its cached transient tokens listed (1) and deleted (at most
 * MAX_TRANSIENT_DELETES: more expire on their own).
 */
export const KV_OPERATIONS_PER_CLEANUP = 6 + 20
/** Sessions cleaned up at once: each is a plex.tv call or two and a few KV operations. */
const PARALLEL_CLEANUPS = 6
/**
 * A session opened this recently may not have reached this location's KV yet: when its key is not found,
 * its cleanup waits for a later run instead of leaving its tokens unrevoked.
 */
const KV_PROPAGATION_MS = 120_000

export interface EndDeps {
  store: SessionStore
  plexFor: (device: PlexDevice) => PlexClient
}

/**
 * The tokens the worker obtained itself, recorded per token when the session was opened: a token a
 * frontend brought (POST /v1/sessions) is not ours to revoke, one plex.tv gave the worker (sign-in, PIN,
 * any Home switch, a renewal) always is, whatever chain of switches led to it.
 */
export function obtainedTokens(session: Session): string[] {
  const own = session.plexTokenObtained ?? (session.home !== undefined || session.source !== 'exchange')
  const admin = session.home && (session.home.adminTokenObtained ?? session.source !== 'exchange')
  return [...(own ? [session.plexToken] : []), ...(session.home && admin ? [session.home.adminToken] : [])]
}

/**
 * Revokes at plex.tv, as the session's own device, the tokens the worker obtained (best effort: the
 * session is over here whatever plex.tv says), so that device leaves "Authorized Devices"; then deletes
 * the session's KV keys.
 */
export async function revokeAndDelete(deps: EndDeps, session: Session): Promise<void> {
  const plex = deps.plexFor(session)
  await Promise.all(
    obtainedTokens(session).map(async (token) => {
      try {
        await plex.signOut({ token })
      } catch {
        // best effort, see above
      }
    }),
  )
  await deps.store.deleteSession(session)
}

/** The lineage's queue of ended sessions (SessionLineage.claim and done). */
export interface CleanupQueue {
  claim(limit: number): EndingEntry[] | Promise<EndingEntry[]>
  done(ids: string[]): void | Promise<void>
}

/** What one cleanup run did: counts only. */
export interface CleanupReport {
  cleaned: number
  /** Sessions whose KV key this location does not have yet: tried again after their lease. */
  deferred: number
}

/**
 * Cleans up ended sessions from `queue` until it is empty or `budget` KV operations could be exceeded
 * by one more (KV_OPERATIONS_PER_CLEANUP each, at most).
 * @example await endEndingSessions(deps, { claim, done }, { budget: 900, now: Date.now })
 */
export async function endEndingSessions(
  deps: EndDeps,
  queue: CleanupQueue,
  { budget = KV_OPERATIONS_PER_INVOCATION, now = Date.now } = {},
): Promise<CleanupReport> {
  const report: CleanupReport = { cleaned: 0, deferred: 0 }
  let left = budget
  while (left >= KV_OPERATIONS_PER_CLEANUP) {
    const batch = await queue.claim(Math.min(PARALLEL_CLEANUPS, Math.floor(left / KV_OPERATIONS_PER_CLEANUP)))
    if (batch.length === 0) break
    left -= batch.length * KV_OPERATIONS_PER_CLEANUP
    const cleaned = await Promise.all(batch.map((entry) => cleanUp(deps, entry, now())))
    const done = batch.filter((_, i) => cleaned[i]).map((entry) => entry.id)
    report.cleaned += done.length
    report.deferred += batch.length - done.length
    await queue.done(done)
  }
  return report
}

/** One ended session: false when it is left for a later run. */
async function cleanUp(deps: EndDeps, entry: EndingEntry, now: number): Promise<boolean> {
  const session = await deps.store.reloadSession(entry.hash)
  if (session) {
    await revokeAndDelete(deps, session)
    return true
  }
  // Gone (expired, or deleted when plex.tv refused its token), or not here yet: wait for a young one.
  if (now - entry.createdAt < KV_PROPAGATION_MS) return false
  await deps.store.deleteSession({ hash: entry.hash })
  return true
}
