import type { CleanupQueue } from './session-end.ts'
import type { EndingEntry, LineageEntry, LineagePage, SessionLineage } from './session-lineage.ts'
import type { Session } from './session-store.ts'
import { sha256 } from './token-crypto.ts'

/*
 * A request's way to the session lineage (session-lineage.ts): one Durable Object per account, named by
 * sha256 of the account uuid, so no uuid is a Durable Object name.
 *
 * The hot path: whether a session is alive is asked of its lineage at most once per
 * SESSION_CACHE_SECONDS per session and isolate, and remembered in between. That is the bound on how long
 * another Cloudflare location (or isolate) can still honour a session that was ended, consumed by a
 * switch, or signed out everywhere: SESSION_CACHE_SECONDS (default 10 s; 0 asks on every request). The
 * isolate that ends a session forgets it at once.
 */

const METHODS = { password: 'password', pin: 'pin', exchange: 'token' } as const
const MAX_REMEMBERED = 10_000

/** Sessions this isolate recently saw alive, by hash: until when, and whose. Per namespace binding. */
const seenAlive = new WeakMap<object, Map<string, { until: number; account: string }>>()

export interface Lineage {
  /**
   * Lists a new session in its account's lineage; with `consumes` (a Home switch), only if that session is
   * still alive, and it stops being so in the same step. False: refused, the session must not be written.
   */
  register(session: Session & { id: string }, consumes?: Session, lock?: string): Promise<boolean>
  /**
   * Holds the session's switch lock while a Home switch is at plex.tv (a new token for the device retires
   * its earlier one, so concurrent switches would spoil each other's): the lock id, or undefined when the
   * session is ended or another switch holds it. Free it with `unlock` when the switch fails.
   */
  lock(session: Session, holdMs: number): Promise<string | undefined>
  unlock(session: Session, lock: string): Promise<void>
  /**
   * Whether the session is alive: asked of its lineage, at most once per SESSION_CACHE_SECONDS here.
   * `use: false` (the cron) does not count as a use of the session.
   */
  alive(session: Session, options?: { use?: boolean }): Promise<boolean>
  /**
   * Ends sessions of the account at once (`all`, or these ids) and returns those of `claim` leased to this
   * request to clean up (then `queue(account).done`); the lineage's alarm cleans up the rest.
   */
  end(accountUuid: string, ids: string[] | 'all', claim?: string[]): Promise<EndingEntry[]>
  /** The account's queue of ended sessions to clean up (bounded batches, see session-end.ts). */
  queue(accountUuid: string): CleanupQueue
  /** One alive session of the account by its public id. */
  find(accountUuid: string, id: string): Promise<LineageEntry | undefined>
  /** A page of the account's alive sessions, newest first. */
  list(accountUuid: string, limit: number, cursor?: string): Promise<LineagePage>
  /** A session whose KV keys are gone already (plex.tv refused its token): no longer listed. */
  forget(session: Session): Promise<void>
}

/**
 * The lineage of one request.
 * @example const lineage = createLineage(env.SESSION_LINEAGE, Date.now, { cacheSeconds: 10, cap: 100 })
 */
export function createLineage(
  namespace: DurableObjectNamespace<SessionLineage>,
  now: () => number,
  { cacheSeconds, cap }: { cacheSeconds: number; cap: number },
): Lineage {
  const alive = seenAlive.get(namespace) ?? new Map<string, { until: number; account: string }>()
  seenAlive.set(namespace, alive)
  const stubOf = async (accountUuid: string) =>
    namespace.get(namespace.idFromName(await sha256(`account:${accountUuid}`)))
  const forgetAccount = (accountUuid: string) => {
    for (const [hash, seen] of alive) if (seen.account === accountUuid) alive.delete(hash)
  }

  return {
    async register(session, consumes, lock) {
      if (session.accountUuid === undefined) return false
      if (consumes && (consumes.id === undefined || consumes.accountUuid !== session.accountUuid))
        return false
      const entry: LineageEntry = {
        id: session.id,
        hash: session.hash,
        createdAt: session.createdAt,
        usedAt: session.createdAt,
        expiresAt: session.expiresAt,
        deviceName: session.deviceName,
        method: METHODS[session.source],
      }
      const stub = await stubOf(session.accountUuid)
      const { ok } = await stub.open(entry, {
        now: now(),
        cap,
        ...(consumes?.id !== undefined
          ? { consumes: { id: consumes.id, hash: consumes.hash, ...(lock ? { lock } : {}) } }
          : {}),
      })
      if (consumes) alive.delete(consumes.hash)
      return ok
    },

    async lock(session, holdMs) {
      if (session.accountUuid === undefined || session.id === undefined) return undefined
      return (await stubOf(session.accountUuid)).lock(session.id, session.hash, now(), holdMs)
    },

    async unlock(session, lock) {
      if (session.accountUuid === undefined || session.id === undefined) return
      await (await stubOf(session.accountUuid)).unlock(session.id, lock)
    },

    async alive(session, { use = true } = {}) {
      if (session.accountUuid === undefined || session.id === undefined) return false
      const seen = alive.get(session.hash)
      if (seen && seen.until > now()) return true
      const stub = await stubOf(session.accountUuid)
      const ok = await stub.check(session.id, session.hash, now(), use)
      if (!ok || cacheSeconds <= 0) alive.delete(session.hash)
      else {
        if (alive.size >= MAX_REMEMBERED) alive.clear()
        alive.set(session.hash, { until: now() + cacheSeconds * 1000, account: session.accountUuid })
      }
      return ok
    },

    async end(accountUuid, ids, claim = []) {
      const claimed = await (await stubOf(accountUuid)).end(ids, now(), claim)
      // This isolate forgets what it saw of the account: the ended sessions stop here at once.
      forgetAccount(accountUuid)
      return claimed
    },

    queue(accountUuid) {
      const stub = stubOf(accountUuid)
      return {
        claim: async (limit) => (await stub).claim(limit, now()),
        done: async (ids) => (await stub).done(ids, now()),
      }
    },

    async find(accountUuid, id) {
      return (await stubOf(accountUuid)).find(id, now())
    },

    async list(accountUuid, limit, cursor) {
      return (await stubOf(accountUuid)).list(now(), limit, cursor)
    },

    async forget(session) {
      alive.delete(session.hash)
      if (session.accountUuid === undefined || session.id === undefined) return
      await (await stubOf(session.accountUuid)).forget(session.id)
    },
  }
}
