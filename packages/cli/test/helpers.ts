// Runs the built plex-auth under Node, Deno or Bun: with pipes (as a script would), or in a pseudo-terminal
// made by util-linux `script` (present on every Debian: the bsdutils package is essential), as a person would.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stripVTControlCharacters } from 'node:util'
import { type ServedFakePlex, serveFakePlex } from '@plex-auth/fake-plex/serve'

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const bin = (name: string): string =>
  fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url))

/** How each runtime runs the binary, as `npx`, `deno run -A npm:` and `bunx` would. */
export const RUNTIMES = {
  node: [process.execPath, CLI],
  deno: [bin('deno'), 'run', '-A', CLI],
  bun: [bin('bun'), CLI],
} as const satisfies Record<string, readonly string[]>
export type Runtime = keyof typeof RUNTIMES

export const ALICE = { login: 'alice', password: 'alice-password' }
export const BOB = { login: 'bob', password: 'bob-password', code: '123456' }
export const ALICE_SERVER = '4d1c3e9a5b7f2e8d6c0a1b3f5e7d9c2a4b6e8f01'

/** A fake Plex on loopback and a fresh config directory per test. */
export class Sandbox {
  readonly configHome: string
  readonly env: NodeJS.ProcessEnv

  constructor(
    readonly served: ServedFakePlex,
    extraEnv: NodeJS.ProcessEnv = {},
  ) {
    this.configHome = mkdtempSync(join(tmpdir(), 'plex-auth-cli-'))
    const env: NodeJS.ProcessEnv = { ...process.env }
    // The test runner's own settings must not leak in: CI or an SSH session would turn the browser off,
    // NO_COLOR the colours.
    const leaky = ['CI', 'NO_COLOR', 'FORCE_COLOR', 'BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY']
    for (const name of [...leaky, 'SSH_CONNECTION', 'SSH_CLIENT', 'SSH_TTY']) delete env[name]
    for (const name of Object.keys(env)) if (name.startsWith('PLEX_')) delete env[name]
    this.env = {
      ...env,
      XDG_CONFIG_HOME: this.configHome,
      PLEX_TV_URL: served.plexTvUrl,
      TERM: 'xterm-256color',
      SHELL: '/bin/sh',
      ...extraEnv,
    }
  }

  get credentialsDir(): string {
    return join(this.configHome, 'plex-auth')
  }

  get credentialsPath(): string {
    return join(this.credentialsDir, 'credentials.json')
  }

  // biome-ignore lint/suspicious/noExplicitAny: the file's shape is what the tests assert on.
  credentials(): any {
    return JSON.parse(readFileSync(this.credentialsPath, 'utf8'))
  }

  /** A $BROWSER that records the URL it was asked to open, instead of opening anything. */
  fakeBrowser(): { path: string; opened: () => string | undefined } {
    const path = join(this.configHome, 'browser.sh')
    const record = join(this.configHome, 'opened.txt')
    writeFileSync(path, `#!/bin/sh\nprintf '%s' "$1" > '${record}'\n`)
    chmodSync(path, 0o755)
    return {
      path,
      opened: () => {
        try {
          return readFileSync(record, 'utf8')
        } catch {
          return undefined
        }
      },
    }
  }

  /** plex.tv's verdict on a token: GET /api/v2/user's status. */
  async tokenStatus(token: string): Promise<number> {
    const res = await fetch(`${this.served.plexTvUrl}/api/v2/user`, {
      headers: { accept: 'application/json', 'x-plex-client-identifier': 'cli-test', 'x-plex-token': token },
    })
    await res.arrayBuffer()
    return res.status
  }

  remove(): void {
    rmSync(this.configHome, { recursive: true, force: true })
  }
}

export async function startFake(): Promise<ServedFakePlex> {
  return serveFakePlex({ host: '127.0.0.1', port: 0 })
}

export interface Result {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs plex-auth with pipes for stdin, stdout and stderr (not a terminal), as `$(plex-auth token)` does. */
export function run(
  runtime: Runtime,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string; onStderr?: (text: string) => void } = {},
): Promise<Result> {
  const [command, ...prefix] = RUNTIMES[runtime]
  const child = spawn(command, [...prefix, ...args], { env })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
    options.onStderr?.(stderr)
  })
  child.stdin.end(options.input ?? '')
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Waits until `read()` matches, polling; fails with what was read. */
export async function waitUntil(
  read: () => string,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const match = read().match(pattern)
    if (match) return match
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got:\n${read()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** plex-auth in a pseudo-terminal: stdin, stdout and stderr are one terminal, as for a person. */
export class Terminal {
  readonly #child: ChildProcessWithoutNullStreams
  /** Everything the terminal showed, escape sequences included. */
  raw = ''
  readonly exited: Promise<number | null>

  constructor(runtime: Runtime, args: string[], env: NodeJS.ProcessEnv, options: { columns?: number } = {}) {
    const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`
    const command = [...RUNTIMES[runtime], ...args].map(quote).join(' ')
    // A pseudo-terminal made without a parent terminal is 0x0: give it a size, as a real window has.
    const size = `stty cols ${options.columns ?? 120} rows 40`
    this.#child = spawn('script', ['-q', '-e', '-c', `${size}; exec ${command}`, '/dev/null'], { env })
    this.#child.stdout.on('data', (chunk) => {
      this.raw += chunk
    })
    this.exited = new Promise((resolve, reject) => {
      this.#child.on('error', reject)
      this.#child.on('close', (code) => resolve(code))
    })
  }

  /** What a person reads: the output without escape sequences. */
  get text(): string {
    return stripVTControlCharacters(this.raw)
  }

  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray> {
    return waitUntil(() => this.text, pattern, timeoutMs)
  }

  /** Types into the terminal (`\r` is Enter, `\x03` is Ctrl-C). */
  type(text: string): void {
    this.#child.stdin.write(text)
  }
}

/** Approves the PIN whose code the CLI printed, as the user would on app.plex.tv. */
export async function approvePrintedPin(
  served: ServedFakePlex,
  read: () => string,
  login: string,
): Promise<string> {
  const [, code] = await waitUntil(read, /Code: (\S+)/)
  served.fake.approvePin(code!, login)
  return code!
}

/** The PIN requests (POST /api/v2/pins) the fake received: whether each asked for a strong code. */
export function pinRequests(served: ServedFakePlex): { strong: boolean; withKey: boolean }[] {
  return served.fake.requests
    .filter((request) => request.method === 'POST' && new URL(request.url).pathname === '/api/v2/pins')
    .map((request) => {
      // Without a key `?strong=true`; with one, `"strong"` in the JSON body beside the JWK.
      const body = request.body ? (JSON.parse(request.body) as { strong?: boolean; jwk?: unknown }) : {}
      const query = new URL(request.url).searchParams.get('strong') === 'true'
      return { strong: body.strong === true || query, withKey: body.jwk !== undefined }
    })
}

/** The base URLs a login against the fake stores. */
export function plexTvUrls(plexTvUrl: string): { plexTv: string; clients: string; app: string } {
  return { plexTv: plexTvUrl, clients: plexTvUrl, app: `${plexTvUrl}/auth` }
}

/** A signed-in profile written the way the CLI writes it, for tests of the commands that use one. */
export function seedProfile(
  box: Sandbox,
  login: string,
  options: { profile?: string; clientIdentifier?: string } = {},
): { token: string; clientIdentifier: string } {
  const clientIdentifier = options.clientIdentifier ?? `plex-auth-test-${Math.random().toString(36).slice(2)}`
  const token = box.served.fake.issueToken(login, { clientIdentifier, product: 'plex-auth' })
  let data: { version: 1; profiles: Record<string, unknown> } = { version: 1, profiles: {} }
  try {
    data = box.credentials()
  } catch {}
  data.profiles[options.profile ?? 'default'] = {
    clientIdentifier,
    token,
    tokenType: 'legacy',
    method: 'pin',
    account: { username: login },
    urls: plexTvUrls(box.served.plexTvUrl),
  }
  mkdirSync(box.credentialsDir, { recursive: true, mode: 0o700 })
  writeFileSync(box.credentialsPath, JSON.stringify(data), { mode: 0o600 })
  return { token, clientIdentifier }
}
