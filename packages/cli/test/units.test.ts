// The few pure decisions of the CLI, tested directly: where files go, which opener runs, which connection
// is tried first, how an error reads. Everything else is tested end to end on the built binary.
import type { ArgsDef } from 'citty'
import { describe, expect, it } from 'vitest'
import { bigCode, bigCodeWidth } from '../src/big-code.ts'
import { browserCommand, noBrowserReason } from '../src/browser.ts'
import { httpAllowed, preferredConnections } from '../src/commands/transient-token.ts'
import { COMMANDS, type CommandEntry, VALUE_OPTIONS } from '../src/commands.ts'
import { configDir } from '../src/credentials.ts'
import { cliErrorFromPlex, type PlexErrorLike } from '../src/plex-error-text.ts'

describe('configDir', () => {
  it.each([
    [{ XDG_CONFIG_HOME: '/x/config' }, 'linux', '/x/config/plex-auth'],
    [{ XDG_CONFIG_HOME: '/x/config' }, 'darwin', '/x/config/plex-auth'],
    [{}, 'linux', '/home/u/.config/plex-auth'],
    // A relative XDG_CONFIG_HOME is invalid by the spec and ignored.
    [{ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/u/.config/plex-auth'],
    [{}, 'darwin', '/home/u/Library/Application Support/plex-auth'],
    [{ APPDATA: '/appdata' }, 'win32', '/appdata/plex-auth'],
    [{}, 'win32', '/home/u/AppData/Roaming/plex-auth'],
  ] as const)('%j on %s: %s', (env, platform, expected) => {
    expect(configDir(env, platform, '/home/u')).toBe(expected)
  })
})

describe('browserCommand', () => {
  const url = 'https://app.plex.tv/auth#?clientID=a&code=b'
  it('honours $BROWSER, then the platform opener; none without a display on Linux', () => {
    expect(browserCommand(url, { BROWSER: 'firefox' }, 'linux')).toEqual(['firefox', [url]])
    expect(browserCommand(url, {}, 'darwin')).toEqual(['open', [url]])
    expect(browserCommand(url, {}, 'win32')).toEqual(['rundll32', ['url.dll,FileProtocolHandler', url]])
    expect(browserCommand(url, { DISPLAY: ':0' }, 'linux')).toEqual(['xdg-open', [url]])
    expect(browserCommand(url, { WAYLAND_DISPLAY: 'wayland-0' }, 'freebsd')).toEqual(['xdg-open', [url]])
    expect(browserCommand(url, {}, 'linux')).toBeUndefined()
  })
})

describe('noBrowserReason: when login shows the short code instead of opening a browser', () => {
  const ssh = { SSH_CONNECTION: '192.0.2.10 51234 192.0.2.20 22' }
  it.each([
    [{ DISPLAY: ':0' }, true, 'linux', undefined],
    [{}, true, 'darwin', undefined],
    [{ BROWSER: 'w3m' }, true, 'linux', undefined],
    [{ DISPLAY: ':0' }, false, 'linux', 'not a terminal'],
    [{ DISPLAY: ':0', CI: 'true' }, true, 'linux', 'CI'],
    [{}, true, 'linux', 'no display'],
    // `open` over SSH would start a browser on the remote Mac's screen.
    [ssh, true, 'darwin', 'SSH session'],
    [{ ...ssh, DISPLAY: 'localhost:10.0' }, true, 'linux', 'SSH session'],
    [{ SSH_TTY: '/dev/pts/3' }, true, 'win32', 'SSH session'],
    // An explicit $BROWSER is the user's choice, over SSH too.
    [{ ...ssh, BROWSER: 'w3m' }, true, 'linux', undefined],
  ] as const)('%j, terminal %s, on %s: %s', (env, interactive, platform, expected) => {
    expect(noBrowserReason(env, interactive, platform)).toBe(expected)
  })
})

describe('bigCode', () => {
  it('draws each character 5 rows tall, 3 columns apart, with full blocks', () => {
    expect(bigCode('H7')).toEqual([
      '█   █   █████',
      '█   █       █',
      '█████      █',
      '█   █     █',
      '█   █     █',
    ])
    expect(bigCodeWidth(2)).toBe(13)
    expect(bigCodeWidth(4)).toBe(29)
  })

  it('tells O from 0 and I from 1', () => {
    expect(bigCode('O')).not.toEqual(bigCode('0'))
    expect(bigCode('I')).not.toEqual(bigCode('1'))
  })

  it('has a glyph for every letter and digit, none wider than its width; nothing for anything else', () => {
    const all = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
    const lines = bigCode(all)
    expect(lines).toHaveLength(5)
    for (const line of lines!) expect(line.length).toBeLessThanOrEqual(bigCodeWidth(all.length))
    for (const code of ['', 'ab12', 'A-B', 'ÄBCD']) expect(bigCode(code), code).toBeUndefined()
  })
})

describe('preferredConnections', () => {
  it('tries https first, and within it local, remote, then relay', () => {
    const connection = (uri: string, local: boolean, relay: boolean) => ({ uri, local, relay })
    const sorted = preferredConnections([
      connection('http://10.0.0.7:32400', true, false),
      connection('https://relay:8443', false, true),
      connection('https://remote:32400', false, false),
      connection('https://local:32400', true, false),
    ])
    expect(sorted.map((c) => c.uri)).toEqual([
      'https://local:32400',
      'https://remote:32400',
      'https://relay:8443',
      'http://10.0.0.7:32400',
    ])
  })
})

describe('VALUE_OPTIONS', () => {
  it('names exactly the options that take a value, across every command', async () => {
    const found = new Set<string>()
    const visit = async (entries: Record<string, CommandEntry>): Promise<void> => {
      for (const entry of Object.values(entries)) {
        if (entry.subcommands) await visit(entry.subcommands)
        if (!entry.load) continue
        const { args } = (await entry.load()).default
        for (const [name, def] of Object.entries(args as ArgsDef)) {
          if (def.type === 'string' || def.type === 'enum') found.add(`--${name}`)
        }
      }
    }
    await visit(COMMANDS)
    expect([...found].sort()).toEqual([...VALUE_OPTIONS].sort())
  })
})

describe('cliErrorFromPlex', () => {
  const plexError = (code: string, extra: Partial<PlexErrorLike> = {}): PlexErrorLike =>
    Object.assign(new Error('raw message'), { name: 'PlexError' as const, code, ...extra })

  it.each([
    ['verification_code_required', 'sign-in', 1, 'Plex wants a two-factor code'],
    ['locked_out', 'sign-in', 1, 'This IP is locked out by Plex for a while'],
    ['unauthorized', 'sign-in', 1, 'Plex did not accept the login, password or two-factor code'],
    ['unauthorized', 'stored-token', 3, 'Plex did not accept the stored token'],
    ['network_error', 'stored-token', 1, 'Could not reach Plex'],
    ['timeout', 'stored-token', 1, 'Plex did not answer in time'],
    ['rate_limited', 'stored-token', 1, 'try again in a minute'],
  ] as const)('%s while %s: exit %d, "%s"', (code, context, exitCode, text) => {
    const error = cliErrorFromPlex(plexError(code), context)
    expect(error.exitCode).toBe(exitCode)
    expect(error.code).toBe(code)
    expect(error.message).toContain(text)
  })

  it('says how long to wait when Plex said so, and falls back to the core message for unknown codes', () => {
    expect(cliErrorFromPlex(plexError('rate_limited', { retryAfter: 30 }), 'pin').message).toBe(
      'Plex says there were too many requests: try again in 30 s',
    )
    expect(cliErrorFromPlex(plexError('something_new'), 'pin').message).toBe('raw message')
  })
})

describe('httpAllowed', () => {
  it('https always; plain http on loopback, or anywhere with --allow-http', () => {
    expect(httpAllowed('https://10-0-0-5.abc.plex.direct:32400', false)).toBe(true)
    expect(httpAllowed('http://127.0.0.1:32400', false)).toBe(true)
    expect(httpAllowed('http://[::1]:32400', false)).toBe(true)
    expect(httpAllowed('http://10.0.0.5:32400', false)).toBe(false)
    expect(httpAllowed('http://10.0.0.5:32400', true)).toBe(true)
    expect(httpAllowed('not a url', true)).toBe(false)
  })
})
