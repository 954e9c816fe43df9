import { createFakePlex, type FakePlexOptions } from '../src/index.ts'

export const ALICE_TOKEN = 'ALiCeT0kenFaKe9x2Qm7'
export const BOB_TOKEN = 'B0bT0kenFaKe4Yz8Wq1P'
export const CAROL_TOKEN = 'CaR0lT0kenFaKe6Hn3Jd'
export const BOB_SHARE_TOKEN = 'BobShareAcc3ssT0k5nX'
export const CLIENT_ID = 'test-client-id'

/** Headers a well-behaved client sends (JSON, client identifier, product). */
export function plexHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    accept: 'application/json',
    'x-plex-client-identifier': CLIENT_ID,
    'x-plex-product': 'Tests',
    ...extra,
  }
}

/** A fake with a controllable clock. */
export function setup(options: FakePlexOptions = {}) {
  const clock = { now: Date.UTC(2025, 0, 1) }
  const fake = createFakePlex({ now: () => clock.now, ...options })
  const [main, cabin] = fake.servers
  if (!main || !cabin) throw new Error('seed must have two servers')
  return { fake, clock, main, cabin }
}

export function signInForm(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: plexHeaders({ 'content-type': 'application/x-www-form-urlencoded' }),
    body: new URLSearchParams(fields).toString(),
  }
}
