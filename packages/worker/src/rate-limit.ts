import type { Context } from 'hono'
import type { AppEnv } from './app.ts'
import { ProblemError } from './problem.ts'
import { sha256 } from './token-crypto.ts'

/** SIGN_IN_LIMITER's window in wrangler.toml (`period`): how long a limited client should wait at most. */
export const SIGN_IN_RETRY_AFTER_SECONDS = 60

/** The client's IP as Cloudflare sees it; `unknown` locally, where every client shares one bucket. */
export function clientIp(c: Context<AppEnv>): string {
  return c.req.header('CF-Connecting-IP')?.trim() || 'unknown'
}

/** The limiter key of a login: hashed, so the limiter never sees an email address. */
export async function loginKey(login: string): Promise<string> {
  return `login:${await sha256(login.trim().toLowerCase())}`
}

/**
 * Counts one attempt against each key, stopping at the first that is over its limit (429 rate_limited
 * with Retry-After). Without a limiter binding nothing is limited. A failing limiter lets the request
 * through: Plex's own lockout still stands behind it.
 */
export async function enforceRateLimit(
  limiter: RateLimit | undefined,
  keys: string[],
  retryAfterSeconds: number = SIGN_IN_RETRY_AFTER_SECONDS,
): Promise<void> {
  if (!limiter) return
  for (const key of keys) {
    let success = true
    try {
      ;({ success } = await limiter.limit({ key }))
    } catch {
      console.warn(JSON.stringify({ level: 'warn', code: 'rate_limiter_failed' }))
    }
    if (!success) {
      throw new ProblemError(429, 'rate_limited', 'Too many attempts; try again later.', {
        headers: { 'Retry-After': String(retryAfterSeconds) },
      })
    }
  }
}
