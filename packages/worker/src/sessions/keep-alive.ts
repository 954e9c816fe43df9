import { isPlexError } from '@plex-auth/core'
import type { PlexClient } from '../plex/plex.ts'
import { JWT_REFRESH_INLINE_BEFORE_MS, jwtRefreshDue, renewJwt } from './jwt-session.ts'
import type { PlexDevice, Session, SessionChanges, SessionStore } from './session-store.ts'

/*
 * Keeping sessions alive. Plex documents no expiry for legacy tokens, but reports say daily pings keep
 * one alive for months, against one or two months without; a Plex JWT lives 7 days and is renewed with
 * the session's device key. On use, a session is pinged (legacy) or its JWT renewed (less than a day
 * left) at most once a day, after the answer (waitUntil); the cron (scheduled.ts) does the same for
 * sessions nobody uses. Each of these writes the session's `state:` key once (never its `session:` key,
 * written once at sign-in, so no keep-alive can bring back a signed-out session): at most once a day per
 * session, never per request. The state is read only when something may be due: a session younger than a
 * day has nothing due, and this isolate remembers a session's state for a day.
 */

const DAY_MS = 24 * 3600 * 1000
/** A legacy token is pinged, and a session's use recorded, at most this often. */
export const KEEP_ALIVE_INTERVAL_MS = DAY_MS
/** After a failed ping or renewal (plex.tv down, 429), this isolate leaves the session alone this long. */
const RETRY_AFTER_FAILURE_MS = 60_000

/** What keeping a session alive takes: its storage, a Plex client per device, the clock. */
export interface KeepAliveDeps {
  store: SessionStore
  plexFor: (device: PlexDevice) => PlexClient
  now: () => number
}

/** `refresh` renews a Plex JWT, `ping` keeps a legacy token alive, `touch` only records the use. */
export type KeepAliveAction = 'refresh' | 'ping' | 'touch'

export interface KeepAliveOutcome {
  action?: KeepAliveAction
  /**
   * `done`: Plex answered and the session was written; `ended`: plex.tv no longer knows the token or key
   * (the session is deleted) or the session was gone already; `skipped`: nothing was due (another request
   * or location did it) or the write lost; `failed`: Plex could not be asked (tried again later).
   */
  result: 'done' | 'ended' | 'skipped' | 'failed'
  /** The session to go on with: with the new Plex JWT after a renewal, even when writing it lost. */
  session?: Session
}

/**
 * What using a session calls for, from the session as the request read it (no I/O, so a request that needs
 * nothing costs nothing): a JWT with less than a day left is renewed; a legacy token not pinged for a day
 * is pinged; otherwise a use not recorded for a day is recorded.
 */
export function dueOnUse(session: Session, now: number): KeepAliveAction | undefined {
  if (jwtRefreshDue(session, now)) return 'refresh'
  if (!session.jwt && now - (session.lastPingAt ?? session.createdAt) >= KEEP_ALIVE_INTERVAL_MS) return 'ping'
  if (now - (session.lastUsedAt ?? session.createdAt) >= KEEP_ALIVE_INTERVAL_MS) return 'touch'
  return undefined
}

/**
 * What the cron does for a session neither used nor kept alive for `idleMs`: ping a legacy token, renew a
 * JWT that has less than a day left. Sessions in use are left to dueOnUse.
 */
export function dueOnSchedule(session: Session, now: number, idleMs: number): KeepAliveAction | undefined {
  const lastUse = session.lastUsedAt ?? session.createdAt
  if (now - lastUse < idleMs) return undefined
  if (session.jwt) return jwtRefreshDue(session, now) ? 'refresh' : undefined
  return now - Math.max(lastUse, session.lastPingAt ?? 0) >= idleMs ? 'ping' : undefined
}

/** Keep-alives running in this isolate, by session hash: a session is never renewed twice at once here. */
const running = new Map<string, Promise<KeepAliveOutcome>>()
/** Sessions whose last keep-alive failed here, until when they are left alone. */
const failedUntil = new Map<string, number>()

/**
 * Pings or renews one session if `decide` says so of the session as KV has it now, then writes its state
 * once. Never twice at once in an isolate (`running`); across isolates and locations the session and state
 * are read again first, so a renewal another one already stored is seen (decide says nothing is due), and
 * written only if its Plex token is still the one renewed (`updateState` re-reads them, and writes only
 * the `state:` key, which counts only while the session exists). What is left: two locations renewing
 * within KV's ~60 s propagation both get a JWT from plex.tv, and the later write wins; both JWTs are valid.
 * @param options.fresh `seen` holds its state as just read (the cron, a use): do not read it again.
 * @param options.used record the use (`lastUsedAt`) in the same write.
 */
export function keepAlive(
  deps: KeepAliveDeps,
  seen: Session,
  decide: (current: Session, now: number) => KeepAliveAction | undefined,
  options: { fresh?: boolean; used?: boolean } = {},
): Promise<KeepAliveOutcome> {
  const already = running.get(seen.hash)
  if (already) return already
  const job = run(deps, seen, decide, options)
  running.set(seen.hash, job)
  const forget = (): void => {
    running.delete(seen.hash)
  }
  job.then(forget, forget)
  return job
}

/** Waits for this isolate's keep-alive of a session, if one is running (before the session is deleted). */
export async function settleKeepAlive(sessionHash: string): Promise<void> {
  await running.get(sessionHash)?.catch(() => undefined)
}

async function run(
  deps: KeepAliveDeps,
  seen: Session,
  decide: (current: Session, now: number) => KeepAliveAction | undefined,
  options: { fresh?: boolean; used?: boolean },
): Promise<KeepAliveOutcome> {
  const now = deps.now()
  if ((failedUntil.get(seen.hash) ?? 0) > now) return { result: 'skipped', session: seen }
  try {
    const current = options.fresh ? seen : await deps.store.reloadSession(seen.hash)
    if (!current) return { result: 'ended' }
    const action = decide(current, now)
    if (!action) return { result: 'skipped', session: current }
    let changes: SessionChanges = {}
    try {
      if (action === 'refresh') changes = await renewJwt(deps.plexFor(current), current)
      else if (action === 'ping') {
        await deps.plexFor(current).ping({ token: current.plexToken })
        changes = { lastPingAt: now }
      }
    } catch (error) {
      // 401, or the 422 of an unknown key or a revoked token: plex.tv says to discard it, as GET /v1/user does.
      if (isPlexError(error, 'unauthorized')) {
        await deps.store.deleteSession(current)
        return { action, result: 'ended' }
      }
      throw error
    }
    if (options.used) changes.lastUsedAt = now
    const written = await deps.store.updateState(current, (latest) =>
      latest.plexToken === current.plexToken ? changes : undefined,
    )
    failedUntil.delete(seen.hash)
    return { action, result: written ? 'done' : 'skipped', session: written ?? { ...current, ...changes } }
  } catch {
    if (failedUntil.size >= 10_000) failedUntil.clear()
    failedUntil.set(seen.hash, now + RETRY_AFTER_FAILURE_MS)
    return { result: 'failed', session: seen }
  }
}

/**
 * Keeps the session of a request alive when that is due (dueOnUse): after the answer, in `waitUntil`,
 * unless the JWT is (about to be) expired, when the request waits for the renewal so that it goes on with
 * a valid token. Without an execution context (app.request in tests) it waits too.
 * @returns the session to go on with, or `ended` when plex.tv no longer knows the token or key.
 */
export async function keepAliveOnUse(
  deps: KeepAliveDeps,
  session: Session,
  waitUntil: ((promise: Promise<unknown>) => void) | undefined,
): Promise<Session | 'ended'> {
  const now = deps.now()
  // Nothing due by the session key alone means nothing due at all: a state only makes times later.
  if (!dueOnUse(session, now)) return session
  const known = await deps.store.withState(session)
  const action = dueOnUse(known, now)
  if (!action) return known
  const job = keepAlive(deps, known, dueOnUse, { used: true, fresh: true })
  const expiring = action === 'refresh' && known.jwt!.expiresAt - now < JWT_REFRESH_INLINE_BEFORE_MS
  if (waitUntil && !expiring) {
    waitUntil(job)
    return known
  }
  const outcome = await job
  if (outcome.result === 'ended') return 'ended'
  return outcome.session ?? known
}
