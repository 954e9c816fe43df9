import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { sha256 } from '../sessions/token-crypto.ts'
import { ProblemError } from './problem.ts'

/** SIGN_IN_LIMITER's window in wrangler.toml (`period`): how long a limited client should wait at most. */
export const SIGN_IN_RETRY_AFTER_SECONDS = 60

/**
 * The client's rate-limit bucket: its IPv4 address, or the /64 network of an IPv6 one (one subscriber
 * usually holds a whole /64, so per-address limits would not limit anyone). `unknown` locally, where
 * every client shares one bucket.
 */
export function clientIp(c: Context<AppEnv>): string {
  const ip = c.req.header('CF-Connecting-IP')?.trim()
  if (!ip) return 'unknown'
  return ip.includes(':') ? ipv6Network64(ip) : ip
}

/**
 * The /64 prefix of an IPv6 address, normalised (`2001:db8:0:1::/64`); an IPv4-mapped address gives its
 * IPv4 address. Anything unparseable is returned as it is (it is only a bucket name).
 */
export function ipv6Network64(ip: string): string {
  let address = ip.toLowerCase().split('%')[0] ?? ''
  // An embedded IPv4 address (`::ffff:192.0.2.1`, `64:ff9b::192.0.2.1`) as two hex groups.
  const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address)
  if (dotted) {
    const [a, b, c, d] = dotted.slice(2).map(Number) as [number, number, number, number]
    if ([a, b, c, d].some((n) => n > 255)) return address
    address = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = address.split('::')
  if (halves.length > 2) return address
  const head = halves[0] ? halves[0].split(':') : []
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : []
  const missing = 8 - head.length - tail.length
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return address
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail]
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return address
  // IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) addresses are one IPv4 client each.
  const prefix = groups.slice(0, 6).map((group) => Number.parseInt(group, 16))
  const isMapped = prefix.slice(0, 5).every((n) => n === 0) && prefix[5] === 0xffff
  const isNat64 = prefix[0] === 0x64 && prefix[1] === 0xff9b && prefix.slice(2).every((n) => n === 0)
  if (isMapped || isNat64) {
    const [high, low] = groups.slice(6).map((group) => Number.parseInt(group, 16)) as [number, number]
    return [high >> 8, high & 255, low >> 8, low & 255].join('.')
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
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
      throw new ProblemError('rate_limited', 'Too many attempts; try again later.', {
        headers: { 'Retry-After': String(retryAfterSeconds) },
      })
    }
  }
}
