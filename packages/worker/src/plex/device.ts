import type { PlexDevice } from '../sessions/session-store.ts'
import { randomToken } from '../sessions/token-crypto.ts'

/*
 * Every PIN and every session is its own Plex device. Plex hands a PIN's token to whoever presents the
 * PIN id with the identifier that created it, and the identifier is public in the auth URL: one shared
 * identifier would let anyone who started a PIN poll plex.tv for everyone else's. Plex also retires the
 * earlier token when a new sign-in completes for the same account and identifier, so sessions that shared
 * one would sign each other out.
 */

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(A|iOS|e)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
  [/\bDeno\//, 'Deno'],
  [/\bBun\//, 'Bun'],
  [/^node\b|\bnode-fetch\b|\bundici\b/i, 'Node.js'],
]

const SYSTEMS: [RegExp, string][] = [
  [/\b(iPhone|iPod)\b/, 'iOS'],
  [/\biPad\b/, 'iPadOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
]

/**
 * The name a user sees under Plex's "Authorized Devices", from the request's User-Agent: "Firefox on
 * macOS". Built only from the fixed names above, so nothing a client sends reaches Plex verbatim.
 * @example deviceNameFrom('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) … Firefox/133.0') // 'Firefox on macOS'
 */
export function deviceNameFrom(userAgent: string | undefined): string {
  const ua = (userAgent ?? '').slice(0, 512)
  const browser = BROWSERS.find(([pattern]) => pattern.test(ua))?.[1]
  const system = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1]
  if (browser && system) return `${browser} on ${system}`
  return browser ?? (system ? `Browser on ${system}` : 'Web session')
}

/**
 * A new Plex device for one PIN or one sign-in: a random identifier (256 bits) and a readable name.
 * @example const device = newDevice(c.req.header('User-Agent'))
 */
export function newDevice(userAgent: string | undefined): PlexDevice {
  return { clientIdentifier: randomToken(), deviceName: deviceNameFrom(userAgent) }
}
