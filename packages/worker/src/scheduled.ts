import { accessOf, accessRecheckDue } from './access/access.ts'
import { configFor } from './config.ts'
import type { Bindings } from './env.ts'
import { createPlex } from './plex/plex.ts'
import { dueOnSchedule, type KeepAliveDeps, keepAlive } from './sessions/keep-alive.ts'
import { createLineage } from './sessions/lineage.ts'
import { createSessionStore } from './sessions/session-store.ts'

/*
 * The keep-alive cron (wrangler.toml `[triggers] crons`): sessions nobody has used for
 * KEEP_ALIVE_AFTER_DAYS are pinged (legacy tokens) or have their Plex JWT renewed (less than a day left),
 * so a session opened months ago still works when its user comes back. Bounded per run, for Workers'
 * per-invocation limits: KEEP_ALIVE_MAX_PAGES list pages of SESSIONS_PER_PAGE sessions (one KV read each)
 * (and its state only when the session key alone says a keep-alive may be due: one more read) and
 * KEEP_ALIVE_MAX_PER_RUN keep-alives (each one or two plex.tv calls, two reads and one write). A run
 * that stops early leaves a cursor (`cron:keep-alive`), and the next run goes on from there. With an access
 * policy, a session kept alive is then checked again when due (one more plex.tv call): one whose user
 * lost access is ended.
 */

/** Sessions per KV list page. */
const SESSIONS_PER_PAGE = 100

/** What one run did, logged as one line (counts only, nothing about any session). */
export interface KeepAliveReport {
  pages: number
  sessionsRead: number
  pinged: number
  refreshed: number
  ended: number
  failed: number
  /** Sessions ended (signed out, switched from) whose keys are still in KV: not kept alive. */
  dead: number
  /** Sessions ended because their user lost access under the access policy (PLEX_ACCESS_SERVERS). */
  denied: number
  /** Whether the run reached the end of the sessions (the next run starts over). */
  complete: boolean
}

export interface KeepAliveRunOptions {
  /** The clock, ms since the epoch. Default Date.now. */
  now?: () => number
  /** The fetch used for plex.tv. Default the global fetch. */
  fetch?: typeof fetch
  /** Sessions per list page. Default SESSIONS_PER_PAGE. */
  pageSize?: number
}

/**
 * One run of the keep-alive cron over the sessions in KV. Sequential: a session key is written at most
 * once per run, far under KV's one write per second per key, and plex.tv is asked one call at a time.
 * @example await runKeepAlive(env, { now: () => Date.now() })
 */
export async function runKeepAlive(
  env: Bindings,
  options: KeepAliveRunOptions = {},
): Promise<KeepAliveReport> {
  const now = options.now ?? Date.now
  const upstream: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init))
  const config = await configFor(env)
  // No isolate cache: every session is read once, and the cron must see KV as it is.
  const store = createSessionStore(config.kv, config.keyring, now)
  const deps: KeepAliveDeps = { store, now, plexFor: (device) => createPlex(config, upstream, device) }
  const lineage = createLineage(config.sessionLineage, now, {
    cacheSeconds: 0,
    cap: config.maxSessionsPerAccount,
  })
  const idleMs = config.keepAliveAfterDays * 24 * 3600 * 1000
  const report: KeepAliveReport = {
    pages: 0,
    sessionsRead: 0,
    pinged: 0,
    refreshed: 0,
    ended: 0,
    failed: 0,
    dead: 0,
    denied: 0,
    complete: false,
  }
  const resumedFrom = await store.getKeepAliveCursor()
  let cursor = resumedFrom
  let kept = 0
  pages: while (report.pages < config.keepAliveMaxPages) {
    const limit = options.pageSize ?? SESSIONS_PER_PAGE
    let page: Awaited<ReturnType<typeof store.listSessionHashes>>
    try {
      page = await store.listSessionHashes({ limit, ...(cursor ? { cursor } : {}) })
    } catch (error) {
      // A cursor KV no longer takes: start over rather than stop for good.
      if (cursor === undefined) throw error
      cursor = undefined
      page = await store.listSessionHashes({ limit })
    }
    report.pages++
    for (const hash of page.hashes) {
      // Stopped mid-page: the next run reads this page again; what was done here is no longer due.
      if (kept >= config.keepAliveMaxPerRun) break pages
      const keyOnly = await store.getSessionByHash(hash)
      report.sessionsRead++
      // A state only makes times later: nothing due without it is nothing due.
      if (!keyOnly || !dueOnSchedule(keyOnly, now(), idleMs)) continue
      const session = await store.withState(keyOnly, { fresh: true })
      if (!dueOnSchedule(session, now(), idleMs)) continue
      // Its lineage ended it (its cleanup is on the way) or it was switched from: nothing to keep alive.
      if (!(await lineage.alive(session, { use: false }))) {
        report.dead++
        continue
      }
      kept++
      const outcome = await keepAlive(deps, session, (current, at) => dueOnSchedule(current, at, idleMs), {
        fresh: true,
      })
      if (outcome.result === 'ended') {
        report.ended++
        await lineage.forget(session)
        continue
      }
      // Kept alive, then checked again when due: one whose user lost access (a withdrawn share) is ended,
      // as a use would end it (access.ts).
      const current = outcome.session ?? session
      if (accessRecheckDue(config, current.access, now()) && current.id !== undefined) {
        const access = await accessOf(deps.plexFor(current), current.plexToken, config.access).catch(
          () => undefined,
        )
        if (access?.role === 'none' && current.accountUuid !== undefined) {
          // Ended in its lineage at once; the lineage's alarm revokes its tokens and deletes its keys.
          await lineage.end(current.accountUuid, [current.id])
          report.denied++
          continue
        }
        if (access) await store.updateState(current, () => ({ access: { ...access, checkedAt: now() } }))
      }
      if (outcome.result === 'failed') report.failed++
      else if (outcome.result === 'done' && outcome.action === 'refresh') report.refreshed++
      else if (outcome.result === 'done' && outcome.action === 'ping') report.pinged++
    }
    cursor = page.cursor
    if (cursor === undefined) {
      report.complete = true
      break
    }
  }
  // One write at most: the cursor to go on from, or the deletion of the one this run started from.
  if (!report.complete) await store.putKeepAliveCursor(cursor)
  else if (resumedFrom !== undefined) await store.putKeepAliveCursor(undefined)
  return report
}

/** The Worker's `scheduled` handler: one keep-alive run, its report logged as one line. */
export const scheduled: ExportedHandlerScheduledHandler<Bindings> = (_controller, env, ctx) => {
  ctx.waitUntil(
    runKeepAlive(env).then(
      (report) => console.log(JSON.stringify({ keepAlive: report })),
      (error: unknown) =>
        console.error(JSON.stringify({ keepAlive: 'failed', error: (error as Error)?.name ?? 'Error' })),
    ),
  )
}
