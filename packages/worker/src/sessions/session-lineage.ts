import { DurableObject } from 'cloudflare:workers'
import { configFor } from '../config.ts'
import type { Bindings } from '../env.ts'
import { createPlex } from '../plex/plex.ts'
import { endEndingSessions } from './session-end.ts'
import { createSessionStore } from './session-store.ts'

/*
 * The lineage of one account's sessions, in the one place that is strongly consistent: a Durable Object
 * per account (SESSION_LINEAGE, named by sha256 of the account uuid). KV is eventually consistent, so it
 * cannot say "this session was consumed" or "every session ended" to a request at another location; this
 * object can, because every call to it runs one at a time.
 *
 * It holds the account's open sessions (`live:<id>`: the session's hash, times, device name and method,
 * never a token) and the sessions ended but not yet cleaned up (`ending:<id>`). A session is alive only
 * while it is listed here:
 * - a Home switch consumes its session and lists the new one in one call, so of any number of switches
 *   from one session exactly one succeeds;
 * - sign-out everywhere empties the list in one call: a session being opened at the same moment is either
 *   listed before (and ended with the rest) or refused after (its source was consumed or ended);
 * - the account keeps at most SESSIONS_PER_ACCOUNT sessions: a new one ends the least recently used.
 * Ended sessions still have their Plex tokens and KV keys: they are revoked and deleted by the request
 * that ended them (a bounded batch) and by this object's alarm, a bounded batch per run, until none is left.
 */

/** A session as the account's lineage lists it: nothing secret (STORAGE.md). */
export interface LineageEntry {
  id: string
  /** sha256 of the session token: its KV key. */
  hash: string
  /** ms since the epoch */
  createdAt: number
  /** ms since the epoch: the last use seen, to the minute (USE_RECORDED_EVERY_MS). */
  usedAt: number
  /** ms since the epoch: when its KV keys expire; the entry is dropped then. */
  expiresAt: number
  deviceName: string
  method: 'password' | 'pin' | 'token'
  /** A Home switch from this session is at plex.tv until then (`lock`), under this lock id. */
  switching?: { lock: string; until: number }
}

/** A session ended and not yet cleaned up: its tokens to revoke, its KV keys to delete. */
export interface EndingEntry {
  id: string
  hash: string
  /** When the session was opened (ms): a young one may not have reached every location's KV yet. */
  createdAt: number
  /** Until then a request or an alarm run is cleaning it up; another run takes it over after. */
  leaseUntil: number
}

export interface OpenOptions {
  now: number
  /** Sessions the account keeps; past it the least recently used is ended. */
  cap: number
  /**
   * A Home switch: the session it comes from, consumed in the same step; refused when it is not alive, or
   * when another switch holds its lock (`lock`).
   */
  consumes?: { id: string; hash: string; lock?: string }
}

/** A page of the account's sessions, newest first. */
export interface LineagePage {
  sessions: LineageEntry[]
  /** Where the next page starts; absent on the last page. */
  cursor?: string
}

/** A use is written at most this often per session (and the list's `lastUsedAt` is that precise). */
const USE_RECORDED_EVERY_MS = 60_000
/** How long a request or alarm run has to clean up what it claimed before another run takes it over. */
export const CLEANUP_LEASE_MS = 60_000
/** An alarm run that found work left runs again this soon. */
const NEXT_RUN_MS = 1_000

const LIVE = 'live:'
const ENDING = 'ending:'

/** The Durable Object behind SESSION_LINEAGE: one instance per account. */
export class SessionLineage extends DurableObject<Bindings> {
  /**
   * Lists a new session; with `consumes`, only if that session is alive, and it stops being so in the same
   * step. Ends the least recently used sessions past `cap`. `ok: false`: the session was not listed.
   * @example await lineage.open(entry, { now: Date.now(), cap: 100, consumes: { id, hash } })
   */
  open(entry: LineageEntry, { now, cap, consumes }: OpenOptions): { ok: boolean } {
    const { kv } = this.ctx.storage
    if (consumes) {
      if (!this.isLive(consumes.id, consumes.hash, now)) return { ok: false }
      const { switching } = kv.get<LineageEntry>(LIVE + consumes.id) ?? {}
      if (switching && switching.until > now && switching.lock !== consumes.lock) return { ok: false }
      // Consumed, not ended: the new session carries its tokens on, so they are not revoked; the switch
      // deletes its KV keys.
      kv.delete(LIVE + consumes.id)
    }
    kv.put(LIVE + entry.id, entry)
    const live = this.live(now)
    if (live.length > cap) {
      const leastRecent = live
        .filter((e) => e.id !== entry.id)
        .sort((a, b) => a.usedAt - b.usedAt || a.createdAt - b.createdAt)
        .slice(0, live.length - cap)
      this.moveToEnding(leastRecent, now)
    }
    return { ok: true }
  }

  /**
   * Whether the session is alive (listed, not expired); with `use` (a request, not the cron), records its
   * use, at most once a minute.
   */
  check(id: string, hash: string, now: number, use = true): boolean {
    const entry = this.ctx.storage.kv.get<LineageEntry>(LIVE + id)
    if (!entry || entry.hash !== hash || entry.expiresAt <= now) return false
    if (use && now - entry.usedAt >= USE_RECORDED_EVERY_MS)
      this.ctx.storage.kv.put(LIVE + id, { ...entry, usedAt: now })
    return true
  }

  /**
   * Before a Home switch asks plex.tv for a new token on the session's device (which retires the device's
   * earlier one), one switch at a time per session: the lock id, or undefined when the session is not
   * alive or another switch holds the lock. The lock frees itself after `holdMs`.
   */
  lock(id: string, hash: string, now: number, holdMs: number): string | undefined {
    const entry = this.ctx.storage.kv.get<LineageEntry>(LIVE + id)
    if (!entry || entry.hash !== hash || entry.expiresAt <= now) return undefined
    if (entry.switching && entry.switching.until > now) return undefined
    const lock = crypto.randomUUID()
    this.ctx.storage.kv.put(LIVE + id, { ...entry, switching: { lock, until: now + holdMs } })
    return lock
  }

  /** A switch that failed at plex.tv lets the next one go. */
  unlock(id: string, lock: string): void {
    const entry = this.ctx.storage.kv.get<LineageEntry>(LIVE + id)
    if (entry?.switching?.lock !== lock) return
    const { switching: _done, ...rest } = entry
    this.ctx.storage.kv.put(LIVE + id, rest)
  }

  /** One alive session of the account by its public id. */
  find(id: string, now: number): LineageEntry | undefined {
    const entry = this.ctx.storage.kv.get<LineageEntry>(LIVE + id)
    return entry && entry.expiresAt > now ? entry : undefined
  }

  /**
   * Ends sessions at once (they stop being alive here) and queues their cleanup: `all`, or these ids.
   * Returns those of `claim` it ended, leased to the caller to clean up now (then `done`); the alarm
   * cleans up the rest, and what a caller leaves unfinished once its lease runs out.
   */
  end(ids: string[] | 'all', now: number, claim: string[] = []): EndingEntry[] {
    const { kv } = this.ctx.storage
    const ending = ids === 'all' ? this.live(now) : ids.flatMap((id) => kv.get<LineageEntry>(LIVE + id) ?? [])
    this.moveToEnding(ending, now)
    const claimed: EndingEntry[] = []
    for (const id of claim) {
      const entry = kv.get<EndingEntry>(ENDING + id)
      if (!entry || entry.leaseUntil > now) continue
      const leased = { ...entry, leaseUntil: now + CLEANUP_LEASE_MS }
      kv.put(ENDING + id, leased)
      claimed.push(leased)
    }
    return claimed
  }

  /** Up to `limit` ended sessions to clean up, leased to the caller for CLEANUP_LEASE_MS. */
  claim(limit: number, now: number): EndingEntry[] {
    const { kv } = this.ctx.storage
    const claimed: EndingEntry[] = []
    for (const [, entry] of kv.list<EndingEntry>({ prefix: ENDING })) {
      if (claimed.length >= limit) break
      if (entry.leaseUntil > now) continue
      const leased = { ...entry, leaseUntil: now + CLEANUP_LEASE_MS }
      kv.put(ENDING + entry.id, leased)
      claimed.push(leased)
    }
    return claimed
  }

  /** Cleaned up: forgotten. Schedules the next alarm run while anything is left. */
  done(ids: string[], now: number): void {
    for (const id of ids) this.ctx.storage.kv.delete(ENDING + id)
    this.scheduleCleanup(now)
  }

  /** How many ended sessions wait for their cleanup (the alarm's log line, and tests). */
  pending(): number {
    return [...this.ctx.storage.kv.list({ prefix: ENDING })].length
  }

  /**
   * Forgets a session whose KV keys are already gone (plex.tv refused its token and it was deleted):
   * no cleanup to do.
   */
  forget(id: string): void {
    this.ctx.storage.kv.delete(LIVE + id)
  }

  /** A page of the account's alive sessions, newest first. `cursor` is opaque to callers. */
  list(now: number, limit: number, cursor?: string): LineagePage {
    const sorted = this.live(now).sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1))
    // The first position after the cursor's: a session that ended since does not shift the pages.
    const from = cursor === undefined ? 0 : sorted.findIndex((e) => positionOf(e) > cursor)
    const sessions = from < 0 ? [] : sorted.slice(from, from + limit)
    const last = sessions.at(-1)
    return from + limit < sorted.length && last ? { sessions, cursor: positionOf(last) } : { sessions }
  }

  /**
   * One cleanup run, within one invocation's KV budget (session-end.ts); then the next run, when what is
   * left can be taken: now, or when the lease of a request that is cleaning up (or died doing so) runs out.
   */
  override async alarm(): Promise<void> {
    const config = await configFor(this.env)
    const store = createSessionStore(config.kv, config.keyring, Date.now)
    const result = await endEndingSessions(
      { store, plexFor: (device) => createPlex(config, (input, init) => fetch(input, init), device) },
      {
        claim: (limit) => this.claim(limit, Date.now()),
        done: (ids) => this.done(ids, Date.now()),
      },
    )
    this.scheduleCleanup(Date.now())
    console.log(JSON.stringify({ sessionCleanup: { ...result, left: this.pending() } }))
  }

  private isLive(id: string, hash: string, now: number): boolean {
    const entry = this.ctx.storage.kv.get<LineageEntry>(LIVE + id)
    return !!entry && entry.hash === hash && entry.expiresAt > now
  }

  /** Every alive session; expired ones are dropped on the way (their KV keys expired with them). */
  private live(now: number): LineageEntry[] {
    const out: LineageEntry[] = []
    for (const [key, entry] of this.ctx.storage.kv.list<LineageEntry>({ prefix: LIVE })) {
      if (entry.expiresAt > now) out.push(entry)
      else this.ctx.storage.kv.delete(key)
    }
    return out
  }

  private moveToEnding(entries: LineageEntry[], now: number): void {
    const { kv } = this.ctx.storage
    for (const { id, hash, createdAt } of entries) {
      kv.delete(LIVE + id)
      kv.put(ENDING + id, { id, hash, createdAt, leaseUntil: 0 } satisfies EndingEntry)
    }
    if (entries.length) this.scheduleCleanup(now)
  }

  /** The alarm at the earliest moment something can be cleaned up: now, or when a lease runs out. */
  private scheduleCleanup(now: number): void {
    let next: number | undefined
    for (const [, entry] of this.ctx.storage.kv.list<EndingEntry>({ prefix: ENDING })) {
      const at = Math.max(entry.leaseUntil, now) + (entry.leaseUntil > now ? 0 : NEXT_RUN_MS)
      next = next === undefined ? at : Math.min(next, at)
    }
    // The clock of the caller may be a test's; an alarm is set on the object's own clock.
    const wall = Date.now()
    if (next === undefined) void this.ctx.storage.deleteAlarm()
    else void this.ctx.storage.setAlarm(wall + Math.max(0, next - now))
  }
}

/** A position in the newest-first order: zero-padded time, then id, so positions compare as strings. */
function positionOf(entry: LineageEntry): string {
  return `${String(Number.MAX_SAFE_INTEGER - entry.createdAt).padStart(16, '0')}.${entry.id}`
}
