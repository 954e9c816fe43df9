import { DurableObject } from 'cloudflare:workers'
import { isPlexError } from '@plex-auth/core'
import type { Context } from 'hono'
import { DEFAULTS } from '../config.ts'
import type { AppEnv, Bindings } from '../env.ts'
import { ProblemError } from '../http/problem.ts'
import { waitUntilOf } from '../sessions/session.ts'

/*
 * The worker-wide budget of failed password sign-ins, in the one place that is strongly consistent: a
 * Durable Object, one instance for the whole worker (SIGN_IN_GUARD_NAME). plex.tv sees every user of the
 * worker as one address and locks it out after repeated failures (5 within 60 s in the fake Plex), so
 * each password sign-in reserves a slot here before plex.tv is asked and settles it with the outcome.
 * Reserving first makes attempts in flight count, in every isolate at once.
 */

/** The name of the worker's one instance (`idFromName`). */
export const SIGN_IN_GUARD_NAME = 'password-sign-in'

/** How long a failure counts against the budget: plex.tv's sliding window. */
export const FAILURE_WINDOW_MS = 60_000

/** How long password sign-in stays closed after plex.tv said the address is locked out (code 1031). */
export const PLEX_LOCKOUT_CLOSED_MS = 15 * 60_000

/** Added to the upstream timeout for a reservation's deadline: the answer's way back and the settle call. */
export const RESERVATION_MARGIN_MS = 5_000

export type Reservation = { ok: true; id: string } | { ok: false; retryAfterSeconds: number }

/** How a reserved sign-in ended: `failed` is a wrong password or code, `locked_out` is plex.tv's 1031. */
export type SignInOutcome = 'ok' | 'failed' | 'locked_out'

export interface ReserveOptions {
  /** Failures plus attempts in flight allowed within FAILURE_WINDOW_MS. Default SIGN_IN_FAILURE_BUDGET's (3). */
  budget?: number
  /** How long until a reservation's deadline. Default UPSTREAM_TIMEOUT_MS's default plus the margin. */
  holdMs?: number
}

interface GuardState {
  /** When each failure within the window was settled (ms since the epoch). */
  failures: number[]
  /** The deadline of each reservation not yet settled, by id. */
  reservations: Record<string, number>
  /** Password sign-in is closed until then: plex.tv said the address is locked out. */
  closedUntil: number
}

const STATE_KEY = 'state'

/**
 * The Durable Object behind SIGN_IN_GUARD. Its state is a few numbers, kept in memory and written to
 * its storage after every change, so an eviction does not reset the budget. The clock is the caller's
 * (`now` on every call), so tests can move time.
 */
export class SignInGuard extends DurableObject<Bindings> {
  private state: GuardState

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    this.state = ctx.storage.kv.get<GuardState>(STATE_KEY) ?? {
      failures: [],
      reservations: {},
      closedUntil: 0,
    }
  }

  /**
   * Reserves one password sign-in before plex.tv is asked, or refuses with how long to wait: while
   * plex.tv's lockout is in force, or while failures and reservations fill the budget.
   * @example const r = await stub.reserve(Date.now(), { budget: 3, holdMs: 15_000 })
   */
  reserve(now: number, options: ReserveOptions = {}): Reservation {
    const budget = options.budget ?? DEFAULTS.signInFailureBudget
    const holdMs = options.holdMs ?? DEFAULTS.timeoutMs + RESERVATION_MARGIN_MS
    this.prune(now)
    const { failures, reservations, closedUntil } = this.state
    if (now < closedUntil) return { ok: false, retryAfterSeconds: secondsUntil(closedUntil, now) }
    // When each counted attempt stops counting: a failure when it leaves the window, a reservation at
    // its deadline (it is usually settled long before), or a window after it if it was never settled.
    const releases = [
      ...failures.map((at) => at + FAILURE_WINDOW_MS),
      ...Object.values(reservations).map((deadline) =>
        deadline > now ? deadline : deadline + FAILURE_WINDOW_MS,
      ),
    ].sort((a, b) => a - b)
    if (releases.length >= budget) {
      const release = releases[releases.length - budget] ?? now
      return { ok: false, retryAfterSeconds: secondsUntil(release, now) }
    }
    const id = crypto.randomUUID()
    reservations[id] = now + holdMs
    this.save()
    return { ok: true, id }
  }

  /**
   * Ends a reservation with the outcome plex.tv gave: a failure counts for FAILURE_WINDOW_MS, a lockout
   * closes password sign-in for PLEX_LOCKOUT_CLOSED_MS. A failure counts even when its reservation is gone.
   */
  settle(id: string, outcome: SignInOutcome, now: number): void {
    delete this.state.reservations[id]
    if (outcome === 'failed') this.state.failures.push(now)
    if (outcome === 'locked_out')
      this.state.closedUntil = Math.max(this.state.closedUntil, now + PLEX_LOCKOUT_CLOSED_MS)
    this.prune(now)
    this.save()
  }

  /**
   * Drops failures older than the window. A reservation nobody settled (the invocation was cancelled
   * before it could) may still have been a failure at plex.tv, as late as its deadline: it counts as
   * one until its deadline plus the window, then frees itself.
   */
  private prune(now: number): void {
    const { state } = this
    state.failures = state.failures.filter((at) => at > now - FAILURE_WINDOW_MS)
    for (const [id, deadline] of Object.entries(state.reservations))
      if (deadline + FAILURE_WINDOW_MS <= now) delete state.reservations[id]
  }

  private save(): void {
    this.ctx.storage.kv.put(STATE_KEY, this.state)
  }
}

function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000))
}

/**
 * Runs one password sign-in's call to plex.tv under the worker-wide budget (SIGN_IN_GUARD): reserves a
 * slot first, or throws 429 `rate_limited` with Retry-After; then settles the slot with the call's
 * outcome. The settle is chained on the call and handed to `waitUntil`, so a client that disconnects
 * cancels neither; without an execution context (`app.request` in tests) it is awaited instead. Without
 * the binding the call just runs: there is no worker-wide budget.
 * @example const user = await guardPasswordSignIn(c, () => plex.postUsersSignInData(input))
 */
export async function guardPasswordSignIn<T>(c: Context<AppEnv>, call: () => Promise<T>): Promise<T> {
  const { config, now } = c.var
  const namespace = config.signInGuard
  if (!namespace) return call()
  const guard = namespace.get(namespace.idFromName(SIGN_IN_GUARD_NAME))
  let reservation: Reservation
  try {
    reservation = await guard.reserve(now(), {
      budget: config.signInFailureBudget,
      holdMs: config.timeoutMs + RESERVATION_MARGIN_MS,
    })
  } catch {
    // Closed, unlike the rate limiters: letting attempts through unbudgeted is what gets the address
    // locked out for everyone, while a pause of password sign-in leaves PIN sign-in working.
    console.warn(JSON.stringify({ level: 'warn', code: 'sign_in_guard_failed' }))
    reservation = { ok: false, retryAfterSeconds: 1 }
  }
  if (!reservation.ok) throw signInClosed(reservation.retryAfterSeconds)
  const { id } = reservation
  const attempt = call()
  const settled = attempt
    .then(() => 'ok' as const, outcomeOf)
    .then((outcome) => guard.settle(id, outcome, now()))
    // A lost settle costs nothing for good: the reservation frees itself after its deadline.
    .catch(() => console.warn(JSON.stringify({ level: 'warn', code: 'sign_in_guard_failed' })))
  const waitUntil = waitUntilOf(c)
  if (waitUntil) {
    waitUntil(settled)
    return attempt
  }
  try {
    return await attempt
  } finally {
    await settled
  }
}

/** What plex.tv's answer means for the budget: only a wrong password or code is a failure. */
function outcomeOf(error: unknown): SignInOutcome {
  if (isPlexError(error, 'unauthorized')) return 'failed'
  if (isPlexError(error, 'locked_out')) return 'locked_out'
  return 'ok'
}

function signInClosed(retryAfterSeconds: number): ProblemError {
  return new ProblemError(
    'rate_limited',
    'Password sign-in is paused for everyone after too many failures; try again later, or sign in with a PIN.',
    { headers: { 'Retry-After': String(retryAfterSeconds) } },
  )
}
