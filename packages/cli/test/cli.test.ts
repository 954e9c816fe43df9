// Node-only end-to-end checks of the built binary: the terminal experience (browser, spinner, colours,
// Ctrl-C), the other commands, profiles, usage errors and the credentials file's care.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ServedFakePlex } from '@plex-auth/fake-plex/serve'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE,
  ALICE_SERVER,
  approvePrintedPin,
  CLI,
  pinRequests,
  plexTvUrls,
  run,
  Sandbox,
  seedProfile,
  startFake,
  Terminal,
  waitUntil,
} from './helpers.ts'

let served: ServedFakePlex
let box: Sandbox

beforeAll(async () => {
  served = await startFake()
})
afterAll(async () => {
  await served.close()
})
beforeEach(() => {
  served.fake.reset()
  box = new Sandbox(served)
})
afterEach(() => {
  box.remove()
})

// An SGR foreground colour sequence (ESC [ 3x m).
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what is matched.
const COLOUR = /\u001b\[3\dm/

describe('login in a terminal', () => {
  it('opens the browser on the link, spins while waiting, and colours the result', async () => {
    const browser = box.fakeBrowser()
    const terminal = new Terminal('node', ['login'], { ...box.env, BROWSER: browser.path })
    const [, link] = await terminal.waitFor(/(http:\/\/127\.0\.0\.1:\d+\/auth#\?\S+)/)
    await waitUntil(() => browser.opened() ?? '', /auth#\?/)
    expect(browser.opened()).toBe(link)
    expect(link).toContain('context%5Bdevice%5D%5Bproduct%5D=plex-auth')
    await terminal.waitFor(/Waiting for approval \(the code expires in \d+:\d\d/)
    await approvePrintedPin(served, () => terminal.text, ALICE.login)
    expect(await terminal.exited).toBe(0)
    expect(terminal.raw).toContain('\u001b[?25l') // the spinner hid the cursor...
    expect(terminal.raw).toContain('\u001b[?25h') // ...and gave it back
    expect(terminal.raw).toMatch(COLOUR)
    expect(terminal.text).toContain('Signed in as alice')
  })

  it('with NO_COLOR: no colours, no spinner; with CI: no browser, the short code instead', async () => {
    const browser = box.fakeBrowser()
    const env = { ...box.env, BROWSER: browser.path, NO_COLOR: '1', CI: 'true' }
    const terminal = new Terminal('node', ['login'], env)
    await terminal.waitFor(/Waiting for approval \(the code expires at /)
    expect(terminal.text).toContain('No browser can be opened here (CI): sign in with a short code instead.')
    await approvePrintedPin(served, () => terminal.text, ALICE.login)
    expect(await terminal.exited).toBe(0)
    expect(terminal.raw).not.toMatch(COLOUR)
    expect(terminal.raw).not.toContain('\u001b[?25l')
    // Block letters are not colour: a terminal still gets the code large.
    expect(terminal.text).toContain('█')
    expect(browser.opened()).toBeUndefined()
  })

  it('--no-browser prints the link without opening anything (not the short code)', async () => {
    const browser = box.fakeBrowser()
    const terminal = new Terminal('node', ['login', '--no-browser'], { ...box.env, BROWSER: browser.path })
    await approvePrintedPin(served, () => terminal.text, ALICE.login)
    expect(await terminal.exited).toBe(0)
    expect(browser.opened()).toBeUndefined()
    expect(terminal.text).toContain(`${served.plexTvUrl}/auth#?`)
    expect(pinRequests(served)).toEqual([{ strong: true, withKey: false }])
  })

  it('Ctrl-C while waiting exits 130 and gives the cursor back', async () => {
    const terminal = new Terminal('node', ['login', '--no-browser'], box.env)
    await terminal.waitFor(/Waiting for approval/)
    terminal.type('\u0003')
    expect(await terminal.exited).toBe(130)
    expect(terminal.text).toContain('plex-auth: Cancelled (interrupted)')
    expect(terminal.raw.lastIndexOf('\u001b[?25h')).toBeGreaterThan(terminal.raw.lastIndexOf('\u001b[?25l'))
    expect(box.credentials().profiles.default.token).toBeUndefined()
  })

  it('a PIN that expires before approval ends the wait with exit 1', async () => {
    // Through pipes: no browser can be opened, so this is the short code the default falls back to.
    let stderr = ''
    const login = run('node', ['login'], box.env, { onStderr: (text) => (stderr = text) })
    const [, code] = await waitUntil(() => stderr, /Code: (\S+)/)
    served.fake.expirePin(code!)
    const result = await login
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'plex-auth: The code expired before it was approved: run plex-auth login again (not_found)',
    )
    expect(result.stderr).toContain('No browser can be opened here (not a terminal)')
    expect(pinRequests(served)).toEqual([{ strong: false, withKey: false }])
  })

  it('--json tells the account and where the token went, never the token', async () => {
    let stderr = ''
    const login = run('node', ['login', '--json'], box.env, { onStderr: (text) => (stderr = text) })
    await approvePrintedPin(served, () => stderr, ALICE.login)
    const result = await login
    expect(result.code).toBe(0)
    const token = box.credentials().profiles.default.token
    expect(JSON.parse(result.stdout)).toEqual({
      profile: 'default',
      account: {
        id: 10000001,
        uuid: 'a11ce0000000a11c',
        username: 'alice',
        title: 'Alice',
        email: 'alice@example.com',
      },
      tokenType: 'legacy',
      method: 'pin',
      credentialsPath: box.credentialsPath,
    })
    expect(result.stdout + result.stderr).not.toContain(token)
  })

  it('Plex locking the IP out reads as such', async () => {
    served.fake.inject({
      host: 'plex.tv',
      path: '/api/v2/users/signin',
      kind: 'status',
      status: 401,
      body: { errors: [{ code: 1031, message: 'Too many failed attempts', status: 401 }] },
    })
    const terminal = new Terminal('node', ['login', '--password', '--login', 'alice'], box.env)
    await terminal.waitFor(/Password for alice/)
    terminal.type(`${ALICE.password}\r`)
    expect(await terminal.exited).toBe(1)
    expect(terminal.text).toContain('plex-auth: This IP is locked out by Plex for a while')
    expect(terminal.text).toContain('(locked_out)')
  })

  it('Ctrl-C at the password prompt exits 130 without signing in', async () => {
    const terminal = new Terminal('node', ['login', '--password', '--login', 'alice'], box.env)
    await terminal.waitFor(/Password for alice/)
    terminal.type('\u0003')
    expect(await terminal.exited).toBe(130)
    expect(terminal.text).toContain('plex-auth: Cancelled (interrupted)')
    expect(served.fake.requests.some((request) => request.url.endsWith('/users/signin'))).toBe(false)
  })

  it('signing in again on a profile is the same device: Plex retires the previous token', async () => {
    const first = seedProfile(box, 'alice')
    let stderr = ''
    const login = run('node', ['login'], box.env, { onStderr: (text) => (stderr = text) })
    await approvePrintedPin(served, () => stderr, ALICE.login)
    expect((await login).code).toBe(0)
    const profile = box.credentials().profiles.default
    expect(profile.clientIdentifier).toBe(first.clientIdentifier)
    expect(profile.token).not.toBe(first.token)
    expect(await box.tokenStatus(first.token)).not.toBe(200)
    expect(
      served.fake.devices('alice').filter((d) => d.clientIdentifier === first.clientIdentifier),
    ).toHaveLength(1)
  })

  it('--password without a terminal is a usage error (exit 2), not a hang', async () => {
    const result = await run('node', ['login', '--password'], box.env)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('needs a terminal')
  })
})

describe('login --code and the fallback to it (SSH sessions, TVs, no display)', () => {
  it('over SSH, login uses the short code even with a display, and says why', async () => {
    // The opener would start a browser on this machine's screen (a forwarded or stale DISPLAY), not the user's.
    const env = { ...box.env, DISPLAY: ':0', SSH_CONNECTION: '192.0.2.10 51234 192.0.2.20 22' }
    const terminal = new Terminal('node', ['login'], env)
    const [, code] = await terminal.waitFor(/Code: (\S+)/)
    expect(terminal.text).toContain(
      'No browser can be opened here (SSH session): sign in with a short code instead.',
    )
    expect(terminal.text).toContain(`open ${served.plexTvUrl}/link and enter this code:`)
    expect(code).toMatch(/^[A-Z0-9]{4}$/)
    expect(pinRequests(served)).toEqual([{ strong: false, withKey: false }])
    served.fake.approvePin(code!, ALICE.login)
    expect(await terminal.exited).toBe(0)
    expect(box.credentials().profiles.default).toMatchObject({
      method: 'pin',
      account: { username: 'alice' },
    })
  })

  it('without a display (Linux, no $BROWSER), login falls back to the short code', async () => {
    const terminal = new Terminal('node', ['login'], box.env)
    await terminal.waitFor(/No browser can be opened here \(no display\)/)
    await approvePrintedPin(served, () => terminal.text, ALICE.login)
    expect(await terminal.exited).toBe(0)
    expect(pinRequests(served)).toEqual([{ strong: false, withKey: false }])
  })

  it('on a pipe: the plain Code line and the link, no block letters; --json tells the result, not the token', async () => {
    let stderr = ''
    const login = run('node', ['login', '--code', '--json'], box.env, { onStderr: (text) => (stderr = text) })
    const code = await approvePrintedPin(served, () => stderr, ALICE.login)
    const result = await login
    expect(result.code).toBe(0)
    expect(result.stderr.split('\n').slice(0, 2)).toEqual([
      `On any device (phone, computer), open ${served.plexTvUrl}/link and enter this code:`,
      `Code: ${code}`,
    ])
    expect(result.stderr).not.toContain('█')
    const { token } = box.credentials().profiles.default
    expect(JSON.parse(result.stdout)).toMatchObject({
      profile: 'default',
      tokenType: 'legacy',
      method: 'pin',
    })
    expect(result.stdout + result.stderr).not.toContain(token)
  })

  it('a terminal too narrow for the block letters gets the plain line only', async () => {
    const terminal = new Terminal('node', ['login', '--code'], box.env, { columns: 20 })
    await approvePrintedPin(served, () => terminal.text, ALICE.login)
    expect(await terminal.exited).toBe(0)
    expect(terminal.text).not.toContain('█')
  })

  it('--code --jwt: the short code carries the device key, and the token is a Plex JWT', async () => {
    let stderr = ''
    const login = run('node', ['login', '--code', '--jwt'], box.env, { onStderr: (text) => (stderr = text) })
    const code = await approvePrintedPin(served, () => stderr, ALICE.login)
    expect(code).toMatch(/^[A-Z0-9]{4}$/)
    expect((await login).code).toBe(0)
    expect(pinRequests(served)).toEqual([{ strong: false, withKey: true }])
    const profile = box.credentials().profiles.default
    expect(profile).toMatchObject({ tokenType: 'jwt', method: 'pin' })
    expect(served.fake.deviceKeys('alice').map((key) => key.thumbprint)).toContain(profile.deviceKey.kid)
    expect(await box.tokenStatus(profile.token)).toBe(200)
  })

  it('--code --password is a usage error (exit 2) before anything is sent', async () => {
    const result = await run('node', ['login', '--code', '--password'], box.env)
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'plex-auth: --code signs in with a short code, --password with a password: pick one (usage)\n',
    })
    expect(served.fake.requests).toEqual([])
  })

  it('a plex.tv stand-in cannot put escape sequences on the terminal through the code', async () => {
    served.fake.inject({
      host: 'plex.tv',
      path: '/api/v2/pins',
      kind: 'status',
      status: 201,
      body: { id: 1, code: 'AB\u001b]0;pwned\u0007CD', expiresIn: 900, expiresAt: new Date().toISOString() },
    })
    const result = await run('node', ['login', '--code'], box.env)
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'plex-auth: Plex sent a PIN code plex-auth does not understand (invalid_response)\n',
    })
  })

  it('a short code that expires before it is entered: one line, exit 1, nothing stored', async () => {
    let stderr = ''
    const login = run('node', ['login', '--code'], box.env, { onStderr: (text) => (stderr = text) })
    const [, code] = await waitUntil(() => stderr, /Code: (\S+)/)
    served.fake.expirePin(code!)
    const result = await login
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(
      result.stderr.endsWith(
        '\nplex-auth: The code expired before it was approved: run plex-auth login --code again (not_found)\n',
      ),
    ).toBe(true)
    expect(box.credentials().profiles.default.token).toBeUndefined()
  })
})

describe('token', () => {
  it('works as export PLEX_TOKEN=$(plex-auth token)', () => {
    const { token } = seedProfile(box, 'alice')
    const shell = spawnSync(
      'sh',
      ['-c', `export PLEX_TOKEN=$("${process.execPath}" "${CLI}" token) && printf '[%s]' "$PLEX_TOKEN"`],
      {
        env: box.env,
        encoding: 'utf8',
      },
    )
    expect(shell.stdout).toBe(`[${token}]`)
  })

  it('--check asks plex.tv: a valid token is printed, a revoked one exits 3', async () => {
    const { token } = seedProfile(box, 'alice')
    expect(await run('node', ['token', '--check'], box.env)).toEqual({
      code: 0,
      stdout: `${token}\n`,
      stderr: '',
    })
    served.fake.revokeToken(token)
    const revoked = await run('node', ['token', '--check'], box.env)
    expect(revoked.code).toBe(3)
    expect(revoked.stdout).toBe('')
    expect(revoked.stderr).toBe(
      'plex-auth: Plex did not accept the stored token: sign in again with plex-auth login (unauthorized)\n',
    )
  })

  it('loads neither the prompts library nor the core on its fast path', () => {
    // What `plex-auth token` parses: the entry, the token command's chunk, and their static imports.
    const dist = fileURLToPath(new URL('../dist/', import.meta.url))
    const read = (file: string): string => readFileSync(join(dist, file), 'utf8')
    const entry = read('cli.js')
    const tokenChunk = entry.match(/import\("\.\/(chunks\/token-[^"]+\.js)"\)/)?.[1]
    expect(tokenChunk).toBeDefined()
    const loaded = new Set<string>()
    const visit = (file: string): void => {
      if (loaded.has(file)) return
      loaded.add(file)
      for (const [, target] of read(file).matchAll(/^(?:import|export)(?:[^;]*?from)?\s*"\.\/([^"]+)"/gm)) {
        visit(join(dirname(file), target!))
      }
    }
    visit('cli.js')
    visit(tokenChunk!)
    const code = [...loaded].map(read).join('\n')
    // esbuild leaves a `// <path>` comment before each bundled module.
    expect(code).toContain('src/commands/token.ts')
    expect(code).not.toContain('node_modules/@clack/')
    expect(code).not.toContain('node_modules/valibot/')
    expect(code).not.toContain('../core/src/')
  })
})

describe('whoami, servers, transient-token', () => {
  it('whoami names the account behind the token', async () => {
    seedProfile(box, 'alice')
    const result = await run('node', ['whoami'], box.env)
    expect(result.code).toBe(0)
    expect(result.stdout.split('\n')[0]).toBe('alice (alice@example.com)')
  })

  it('servers lists servers with their connections, never an access token', async () => {
    const { token } = seedProfile(box, 'alice')
    const human = await run('node', ['servers'], box.env)
    expect(human.code).toBe(0)
    expect(human.stdout).toContain(`Alice's Plex  ${ALICE_SERVER}  owned`)
    expect(human.stdout).toContain(`  ${served.servers[0]!.url}  local`)
    const json = await run('node', ['servers', '--json'], box.env)
    const servers = JSON.parse(json.stdout)
    expect(servers.map((server: { name: string }) => server.name)).toEqual(["Alice's Plex", 'Cabin'])
    expect(servers[0].connections[0]).toMatchObject({
      uri: served.servers[0]!.url,
      local: true,
      relay: false,
    })
    expect(json.stdout).not.toContain(token)
    expect(json.stdout).not.toContain('accessToken')
  })

  it('servers for a shared user shows the share, not its token', async () => {
    seedProfile(box, 'bob')
    const json = await run('node', ['servers', '--json'], box.env)
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ name: "Alice's Plex", owned: false })])
    expect(json.stdout).not.toContain('BobShareAcc3ssT0k5nX')
  })

  it('transient-token --server <clientIdentifier> or <url> gives a token the server accepts', async () => {
    seedProfile(box, 'alice')
    const byId = await run('node', ['transient-token', '--server', ALICE_SERVER], box.env)
    expect(byId.code).toBe(0)
    expect(byId.stdout).toMatch(/^transient-[0-9a-f-]+\n$/)
    const transient = byId.stdout.trim()
    const res = await fetch(`${served.servers[0]!.url}/security/resources?source=server://${ALICE_SERVER}`, {
      headers: { accept: 'application/json', 'x-plex-token': transient },
    })
    expect(res.status).toBe(200)
    const byUrl = await run(
      'node',
      ['transient-token', '--server', served.servers[1]!.url, '--json'],
      box.env,
    )
    expect(JSON.parse(byUrl.stdout)).toMatchObject({
      token: expect.stringMatching(/^transient-/),
      url: served.servers[1]!.url,
      server: { name: 'Cabin' },
    })
  })

  it('transient-token --server <url> none of the servers lists: exit 2, nothing sent there', async () => {
    seedProfile(box, 'alice')
    const hostile = await hostileServer()
    try {
      for (const url of [hostile.url, `${hostile.url}/`, 'https://plex.example.com:32400']) {
        const result = await run('node', ['transient-token', '--server', url], box.env)
        expect(result.code).toBe(2)
        expect(result.stdout).toBe('')
        expect(result.stderr).toBe(
          `plex-auth: No server of this account lists ${url}: pass one of the connection URLs of plex-auth servers, or a server's identifier (usage)\n`,
        )
      }
      expect(hostile.requests).toEqual([])
    } finally {
      await hostile.close()
    }
    // A listed URL still works with a trailing slash.
    const listed = `${served.servers[1]!.url}/`
    expect((await run('node', ['transient-token', '--server', listed], box.env)).code).toBe(0)
  })

  it('transient-token for a server the account does not have: exit 1, readable', async () => {
    seedProfile(box, 'carol')
    const result = await run('node', ['transient-token', '--server', ALICE_SERVER], box.env)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`No server of this account has the identifier "${ALICE_SERVER}"`)
  })
})

/** A server on loopback that answers 200 to anything and records what it was sent. */
async function hostileServer(): Promise<{
  url: string
  requests: { method?: string; url?: string; headers: IncomingHttpHeaders }[]
  close: () => Promise<void>
}> {
  const requests: { method?: string; url?: string; headers: IncomingHttpHeaders }[] = []
  const server = createServer((request, response) => {
    requests.push({ method: request.method, url: request.url, headers: request.headers })
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('base URLs are fixed at sign-in', () => {
  it('login stores them; another PLEX_TV_URL later gets no token and exits 2 (every command)', async () => {
    let stderr = ''
    const login = run('node', ['login'], box.env, { onStderr: (text) => (stderr = text) })
    await approvePrintedPin(served, () => stderr, ALICE.login)
    expect((await login).code).toBe(0)
    const { token, urls } = box.credentials().profiles.default
    expect(urls).toEqual(plexTvUrls(served.plexTvUrl))
    const hostile = await hostileServer()
    try {
      const commands = [
        ['whoami'],
        ['servers'],
        ['ping'],
        ['logout'],
        ['token', '--check'],
        ['home', 'list'],
        ['transient-token', '--server', ALICE_SERVER],
      ]
      const envs: NodeJS.ProcessEnv[] = [
        { ...box.env, PLEX_TV_URL: hostile.url },
        { ...box.env, PLEX_CLIENTS_URL: hostile.url },
      ]
      for (const env of envs) {
        for (const args of commands) {
          const result = await run('node', args, env)
          expect(result.code, args.join(' ')).toBe(2)
          expect(result.stdout).toBe('')
          const source = env.PLEX_CLIENTS_URL ? 'PLEX_CLIENTS_URL' : 'PLEX_TV_URL'
          const signedInAt = env.PLEX_CLIENTS_URL ? urls.clients : urls.plexTv
          expect(result.stderr).toBe(
            `plex-auth: ${source} is ${hostile.url}, but profile "default" signed in at ${signedInAt}: its credentials go only there (sign in again with that URL, or pass --force-url) (usage)\n`,
          )
        }
      }
      const flag = await run('node', ['whoami', '--plex-tv-url', hostile.url], box.env)
      expect(flag.code).toBe(2)
      expect(flag.stderr).toContain(`--plex-tv-url is ${hostile.url}, but profile "default"`)
      expect(hostile.requests).toEqual([])
      expect(box.credentials().profiles.default.token).toBe(token)
      // The stored URLs need no flag or variable at all.
      const { PLEX_TV_URL: _, ...plain } = box.env
      expect((await run('node', ['whoami'], plain)).stdout).toMatch(/^alice /)
    } finally {
      await hostile.close()
    }
  })

  it('a Plex JWT due for refresh is never refreshed at another URL', async () => {
    let stderr = ''
    const login = run('node', ['login', '--jwt'], box.env, { onStderr: (text) => (stderr = text) })
    await approvePrintedPin(served, () => stderr, ALICE.login)
    expect((await login).code).toBe(0)
    const data = box.credentials()
    data.profiles.default.expiresAt = new Date(Date.now() + 60_000).toISOString()
    writeFileSync(box.credentialsPath, JSON.stringify(data), { mode: 0o600 })
    const hostile = await hostileServer()
    try {
      for (const name of ['PLEX_TV_URL', 'PLEX_CLIENTS_URL']) {
        const result = await run('node', ['token'], { ...box.env, [name]: hostile.url })
        expect(result.code).toBe(2)
        expect(result.stdout).toBe('')
        expect(result.stderr).toContain(`plex-auth: ${name} is ${hostile.url}, but profile "default"`)
      }
      expect(hostile.requests).toEqual([])
      expect(served.fake.requests.some((request) => request.url.includes('/auth/'))).toBe(false)
    } finally {
      await hostile.close()
    }
  })

  it('--force-url sends them elsewhere on purpose; logout --local needs no URL', async () => {
    const { token } = seedProfile(box, 'alice')
    const elsewhere = served.plexTvUrl.replace('127.0.0.1', 'localhost')
    const env = { ...box.env, PLEX_TV_URL: elsewhere, PLEX_CLIENTS_URL: elsewhere }
    expect((await run('node', ['token', '--check'], env)).code).toBe(2)
    expect(await run('node', ['token', '--check', '--force-url'], env)).toEqual({
      code: 0,
      stdout: `${token}\n`,
      stderr: '',
    })
    expect((await run('node', ['logout', '--local'], env)).code).toBe(0)
  })

  it.each([
    ['http://plex.example.com', 'PLEX_TV_URL uses plain http to plex.example.com'],
    ['http://10.0.0.5:32400', 'PLEX_TV_URL uses plain http to 10.0.0.5'],
    ['ftp://127.0.0.1', 'PLEX_TV_URL must be an https URL: ftp://127.0.0.1'],
    ['not a url', 'PLEX_TV_URL is not a URL: not a url'],
  ])('login with PLEX_TV_URL=%s is refused before any request (exit 2)', async (url, message) => {
    const result = await run('node', ['login'], { ...box.env, PLEX_TV_URL: url })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(`plex-auth: ${message}`)
    expect(result.stderr).not.toContain('Code:')
    expect(served.fake.requests).toEqual([])
  })

  it('plain http is fine on loopback: 127.0.0.0/8, ::1, localhost', async () => {
    const { isLoopbackHost } = await import('../src/base-urls.ts')
    for (const host of ['127.0.0.1', '127.9.8.7', '[::1]', 'localhost', 'LOCALHOST'])
      expect(isLoopbackHost(host), host).toBe(true)
    for (const host of ['10.0.0.1', 'plex.tv', 'localhost.example.com', '128.0.0.1', '[::2]'])
      expect(isLoopbackHost(host), host).toBe(false)
  })
})

describe('profiles and storage', () => {
  it('each profile is its own device, kept across logout and login; global options go anywhere', async () => {
    const work = seedProfile(box, 'bob', { profile: 'work' })
    const home = seedProfile(box, 'alice')
    expect((await run('node', ['--profile', 'work', 'token'], box.env)).stdout).toBe(`${work.token}\n`)
    expect((await run('node', ['token'], { ...box.env, PLEX_AUTH_PROFILE: 'work' })).stdout).toBe(
      `${work.token}\n`,
    )
    expect((await run('node', ['logout', '--profile', 'work'], box.env)).code).toBe(0)
    expect((await run('node', ['token'], box.env)).stdout).toBe(`${home.token}\n`)

    let stderr = ''
    const login = run('node', ['login', '--profile', 'work'], box.env, {
      onStderr: (text) => (stderr = text),
    })
    await approvePrintedPin(served, () => stderr, 'bob')
    expect((await login).code).toBe(0)
    expect(box.credentials().profiles.work.clientIdentifier).toBe(work.clientIdentifier)
    expect(box.credentials().profiles.default.token).toBe(home.token)
  })

  it('writes atomically: no temporary file is left, and a damaged file is reported, never overwritten', async () => {
    seedProfile(box, 'alice')
    expect((await run('node', ['logout'], box.env)).code).toBe(0)
    expect(readdirSync(box.credentialsDir)).toEqual(['credentials.json'])
    writeFileSync(box.credentialsPath, '{"version":1,"profiles":')
    const result = await run('node', ['login'], box.env)
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `plex-auth: ${box.credentialsPath} is not valid JSON: fix it or delete it, then sign in again (error)\n`,
    )
    expect(readFileSync(box.credentialsPath, 'utf8')).toBe('{"version":1,"profiles":')
  })

  it('tightens a directory it finds too open', async () => {
    seedProfile(box, 'alice')
    spawnSync('chmod', ['755', box.credentialsDir])
    expect((await run('node', ['logout'], box.env)).code).toBe(0)
    expect(statSync(box.credentialsDir).mode & 0o777).toBe(0o700)
  })
})

describe('errors and usage', () => {
  it.each([
    [['tokn'], 'Unknown command "tokn": see plex-auth --help'],
    [['token', '--nope'], 'Unknown option --nope: see plex-auth token --help'],
    [['token', 'extra'], 'Unexpected argument "extra": see plex-auth token --help'],
    [['token', '--profile'], '--profile needs a value: see plex-auth token --help'],
    [['transient-token'], 'Missing required argument: --server: see plex-auth transient-token --help'],
    [['token', '--profile', '../x'], '--profile must be 1-64 letters, digits, dots, dashes or underscores'],
    [[], 'No command given: see plex-auth --help'],
  ])('plex-auth %j exits 2: %s', async (args, message) => {
    const result = await run('node', args, box.env)
    expect(result).toEqual({ code: 2, stdout: '', stderr: `plex-auth: ${message} (usage)\n` })
  })

  it('--help goes to stdout and exits 0, for the tool and for each command', async () => {
    const root = await run('node', ['--help'], box.env)
    expect(root.code).toBe(0)
    expect(root.stdout).toContain('Exit codes: 0 ok, 1 error, 2 usage, 3 not signed in')
    const token = await run('node', ['token', '--help'], box.env)
    expect(token.code).toBe(0)
    expect(token.stdout).toContain('--check')
    expect(token.stdout).not.toMatch(COLOUR)
  })

  it('an unreachable plex.tv: one line, exit 1; --debug adds the stack; --json adds an error object', async () => {
    const env = { ...box.env, PLEX_TV_URL: 'http://127.0.0.1:9' }
    const plain = await run('node', ['login'], env)
    expect(plain.code).toBe(1)
    expect(plain.stderr).toBe('plex-auth: Could not reach Plex: check the connection (network_error)\n')
    const debug = await run('node', ['login', '--debug', '--json'], env)
    expect(debug.stderr).toContain('PlexError: POST /api/v2/pins')
    expect(debug.stderr).toMatch(/\n\s+at /)
    expect(JSON.parse(debug.stdout)).toEqual({
      error: { code: 'network_error', message: 'Could not reach Plex: check the connection', exitCode: 1 },
    })
  })

  it('PLEX_CLIENTS_URL is where the JWT calls go (else PLEX_TV_URL)', async () => {
    const env = { ...box.env, PLEX_CLIENTS_URL: 'http://127.0.0.1:9' }
    const result = await run('node', ['login', '--jwt'], env)
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('plex-auth: Could not reach Plex: check the connection (network_error)\n')
    expect(served.fake.requests).toEqual([])
  })

  it('--plex-tv-url wins over PLEX_TV_URL', async () => {
    const { token } = seedProfile(box, 'alice')
    const env = { ...box.env, PLEX_TV_URL: 'http://127.0.0.1:9' }
    const result = await run('node', ['token', '--check', '--plex-tv-url', served.plexTvUrl], env)
    expect(result.stdout).toBe(`${token}\n`)
  })
})

describe('Plex JWT, ping and Home', () => {
  async function loginByPin(args: string[], login: string): Promise<void> {
    let stderr = ''
    const result = run('node', ['login', ...args], box.env, { onStderr: (text) => (stderr = text) })
    await approvePrintedPin(served, () => stderr, login)
    expect((await result).code).toBe(0)
  }

  function setExpiry(iso: string): void {
    const data = box.credentials()
    data.profiles.default.expiresAt = iso
    writeFileSync(box.credentialsPath, JSON.stringify(data), { mode: 0o600 })
  }

  it('login --jwt --password: signs in with the password and 2FA, then registers the key for a Plex JWT', async () => {
    const terminal = new Terminal('node', ['login', '--jwt', '--password', '--login', 'bob'], box.env)
    await terminal.waitFor(/Password for bob/)
    terminal.type('bob-password\r')
    await terminal.waitFor(/Two-factor code/)
    terminal.type('123456\r')
    expect(await terminal.exited).toBe(0)
    expect(terminal.text).toContain('Signed in as bob (bob@example.com). Plex JWT stored')
    const profile = box.credentials().profiles.default
    expect(profile).toMatchObject({ tokenType: 'jwt', method: 'password' })
    expect(served.fake.deviceKeys('bob').map((key) => key.thumbprint)).toContain(profile.deviceKey.kid)
    expect(await box.tokenStatus(profile.token)).toBe(200)
  })

  it('a failed refresh keeps a still-valid JWT (with a warning), fails once it has expired', async () => {
    await loginByPin(['--jwt'], 'alice')
    const { token } = box.credentials().profiles.default
    served.fake.inject({ host: 'plex.tv', path: '/api/v2/auth/nonce', kind: 'status', status: 500 })
    setExpiry(new Date(Date.now() + 3_600_000).toISOString())
    const kept = await run('node', ['token'], box.env)
    expect(kept.code).toBe(0)
    expect(kept.stdout).toBe(`${token}\n`)
    expect(kept.stderr).toContain('! Could not refresh the Plex JWT (Plex had a server error (HTTP 500)')

    setExpiry(new Date(Date.now() - 60_000).toISOString())
    const failed = await run('node', ['token'], box.env)
    expect(failed.code).toBe(1)
    expect(failed.stdout).toBe('')
    expect(failed.stderr).toContain('(upstream_error)')

    // Plex refreshes at any time, also after expiry.
    served.fake.clearFaults()
    const refreshed = await run('node', ['token'], box.env)
    expect(refreshed.code).toBe(0)
    expect(refreshed.stdout).not.toBe(`${token}\n`)
  })

  it('logout revokes a Plex JWT and forgets the device key', async () => {
    await loginByPin(['--jwt'], 'alice')
    const { token, clientIdentifier } = box.credentials().profiles.default
    expect((await run('node', ['logout'], box.env)).code).toBe(0)
    expect(await box.tokenStatus(token)).not.toBe(200)
    expect(box.credentials().profiles.default).toEqual({ clientIdentifier, jwtIssued: true })
  })

  /** The tokens that reached a fake media server (not plex.tv). */
  const serverTokens = (): string[] =>
    served.fake.requests
      .filter((r) => new URL(r.url).origin !== new URL(served.plexTvUrl).origin)
      .map((r) => r.headers['x-plex-token'] ?? '')

  // anthonycaccese/240-MP#240, nickelsh1ts/streamarr#322: media servers refuse Plex JWTs.
  it('login (PIN, the default) then transient-token: owned and shared servers, no JWT reaches either', async () => {
    await loginByPin([], 'alice')
    expect(box.credentials().profiles.default.tokenType).toBe('legacy')
    expect((await run('node', ['transient-token', '--server', ALICE_SERVER], box.env)).code).toBe(0)
    await loginByPin(['--profile', 'bob'], 'bob')
    const shared = await run(
      'node',
      ['transient-token', '--server', ALICE_SERVER, '--profile', 'bob'],
      box.env,
    )
    expect(shared.code).toBe(0)
    expect(serverTokens()).toHaveLength(2)
    expect(serverTokens().filter((token) => token.split('.').length === 3)).toEqual([])
  })

  it('login --jwt then transient-token: an owned server is refused before any request, one line; shared works', async () => {
    await loginByPin(['--jwt'], 'alice')
    const owned = await run('node', ['transient-token', '--server', ALICE_SERVER], box.env)
    expect(owned.code).toBe(1)
    expect(owned.stdout).toBe('')
    expect(owned.stderr).toBe(
      'plex-auth: This profile holds a Plex JWT, which Plex Media Servers refuse: for servers you own, sign in again with plex-auth login (without --jwt); servers shared with you work either way (jwt_not_accepted_by_server)\n',
    )
    expect(serverTokens()).toEqual([])
    await loginByPin(['--jwt', '--profile', 'bob'], 'bob')
    expect(
      (await run('node', ['transient-token', '--server', ALICE_SERVER, '--profile', 'bob'], box.env)).code,
    ).toBe(0)
    expect(serverTokens()).toEqual(['BobShareAcc3ssT0k5nX'])
  })

  // clambin/mediaclients plex/plextv/auth_jwt.go: no password or PIN sign-in under an identifier that got a JWT.
  it('login after login --jwt signs in as a new device, and revokes the JWT of the old one', async () => {
    await loginByPin(['--jwt'], 'alice')
    const first = box.credentials().profiles.default
    await loginByPin([], 'alice')
    const second = box.credentials().profiles.default
    expect(second.clientIdentifier).not.toBe(first.clientIdentifier)
    expect(second).toMatchObject({ tokenType: 'legacy' })
    expect(second.jwtIssued).toBeUndefined()
    expect(await box.tokenStatus(first.token)).not.toBe(200)
    expect(await box.tokenStatus(second.token)).toBe(200)
  })

  it('ping keeps the token alive; exit 3 once plex.tv no longer takes it', async () => {
    const { token } = seedProfile(box, 'alice')
    const pong = await run('node', ['ping'], box.env)
    expect(pong).toEqual({
      code: 0,
      stdout: '',
      stderr: '✓ plex.tv accepted the token of profile "default"\n',
    })
    expect(JSON.parse((await run('node', ['ping', '--json'], box.env)).stdout)).toEqual({
      profile: 'default',
      pong: true,
    })
    served.fake.revokeToken(token)
    const gone = await run('node', ['ping'], box.env)
    expect(gone.code).toBe(3)
    expect(gone.stderr).toContain('Plex did not accept the stored token')
  })

  it('home list shows the members, and says so when there is no Home', async () => {
    seedProfile(box, 'alice')
    const list = await run('node', ['home', 'list'], box.env)
    expect(list.code).toBe(0)
    expect(list.stdout).toBe(
      [
        'Alice  a11ce0000000a11c  admin',
        'Kids   k1d5000000000k1d  restricted (little_kid), PIN',
        'Dana   da4a000000000da4',
        '',
      ].join('\n'),
    )
    const json = JSON.parse((await run('node', ['home', 'list', '--json'], box.env)).stdout)
    expect(json[1]).toEqual({
      id: expect.any(Number),
      uuid: 'k1d5000000000k1d',
      title: 'Kids',
      username: null,
      email: null,
      admin: false,
      guest: false,
      restricted: true,
      restrictionProfile: 'little_kid',
      protected: true,
    })
    seedProfile(box, 'bob')
    expect(await run('node', ['home', 'list'], box.env)).toEqual({
      code: 0,
      stdout: '',
      stderr: 'This account has no Plex Home.\n',
    })
    expect((await run('node', ['home', 'list', '--json'], box.env)).stdout).toBe('[]\n')
  })

  it('home switch: a PIN when the user has one, the right one, and back to the admin', async () => {
    seedProfile(box, 'alice')
    const noPin = await run('node', ['home', 'switch', 'kids'], box.env)
    expect(noPin.code).toBe(2)
    expect(noPin.stderr).toBe(
      'plex-auth: Kids has a Home PIN: run this in a terminal, or set PLEX_HOME_PIN (usage)\n',
    )
    // A script gives it in the environment, which `ps` does not show: it goes to plex.tv as --pin would.
    const fromEnv = await run('node', ['home', 'switch', 'kids', '--json'], {
      ...box.env,
      PLEX_HOME_PIN: '0000',
    })
    expect(fromEnv.stderr).toBe('plex-auth: Plex did not accept the PIN for Kids (home_pin_required)\n')
    const wrongPin = await run('node', ['home', 'switch', 'kids', '--pin', '0000'], box.env)
    expect(wrongPin.code).toBe(1)
    expect(wrongPin.stderr).toBe('plex-auth: Plex did not accept the PIN for Kids (home_pin_required)\n')
    const unknown = await run('node', ['home', 'switch', 'nobody'], box.env)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('the users are: Alice, Kids, Dana')

    const switched = await run('node', ['home', 'switch', 'Kids', '--pin', '1234'], box.env)
    expect(switched.code).toBe(0)
    expect(switched.stderr).toBe('✓ Switched profile "default" to Kids\n')
    expect(box.credentials().profiles.default).toMatchObject({
      tokenType: 'legacy',
      method: 'home-switch',
      homeUser: { uuid: 'k1d5000000000k1d', title: 'Kids' },
    })
    const whoami = JSON.parse((await run('node', ['whoami', '--json'], box.env)).stdout)
    expect(whoami.account).toMatchObject({ uuid: 'k1d5000000000k1d', title: 'Kids', username: null })

    expect((await run('node', ['home', 'switch', 'alice'], box.env)).code).toBe(0)
    expect(JSON.parse((await run('node', ['whoami', '--json'], box.env)).stdout).account.username).toBe(
      'alice',
    )
  })

  it('home switch keeps the sign-in to switch back to; a dropped Home user token is revoked', async () => {
    const alice = seedProfile(box, 'alice')
    expect((await run('node', ['home', 'switch', 'Kids', '--pin', '1234'], box.env)).code).toBe(0)
    const kids = box.credentials().profiles.default
    expect(kids.original).toEqual({
      token: alice.token,
      tokenType: 'legacy',
      method: 'pin',
      account: { username: 'alice' },
    })
    expect(await box.tokenStatus(alice.token)).toBe(200)

    expect((await run('node', ['home', 'switch', 'Dana'], box.env)).code).toBe(0)
    const dana = box.credentials().profiles.default
    expect(dana.original.token).toBe(alice.token)
    expect(await box.tokenStatus(kids.token)).not.toBe(200)

    // Back to the sign-in: its own token again, and Dana's revoked.
    const back = await run('node', ['home', 'switch', 'Alice'], box.env)
    expect(back).toEqual({ code: 0, stdout: '', stderr: '✓ Switched profile "default" to alice\n' })
    const restored = box.credentials().profiles.default
    expect(restored).toMatchObject({ token: alice.token, method: 'pin', urls: plexTvUrls(served.plexTvUrl) })
    expect(restored.original).toBeUndefined()
    expect(restored.homeUser).toBeUndefined()
    expect(await box.tokenStatus(dana.token)).not.toBe(200)
    expect(await box.tokenStatus(alice.token)).toBe(200)
  })

  it('logout after home switch revokes the Home user token and the Plex JWT it switched from', async () => {
    await loginByPin(['--jwt'], 'alice')
    const jwt = box.credentials().profiles.default
    expect((await run('node', ['home', 'switch', 'Dana'], box.env)).code).toBe(0)
    const switched = box.credentials().profiles.default
    expect(switched.original).toMatchObject({ token: jwt.token, tokenType: 'jwt', deviceKey: jwt.deviceKey })
    expect(await box.tokenStatus(jwt.token)).toBe(200)
    const logout = await run('node', ['logout'], box.env)
    expect(logout.code).toBe(0)
    expect(logout.stderr).toContain('Signed out and revoked')
    expect(await box.tokenStatus(switched.token)).not.toBe(200)
    expect(await box.tokenStatus(jwt.token)).not.toBe(200)
    expect(box.credentials().profiles.default).toEqual({
      clientIdentifier: jwt.clientIdentifier,
      jwtIssued: true,
    })
  })

  it('login after login --jwt and a home switch signs in as a new device and revokes both old tokens', async () => {
    await loginByPin(['--jwt'], 'alice')
    const jwt = box.credentials().profiles.default
    expect((await run('node', ['home', 'switch', 'Dana'], box.env)).code).toBe(0)
    const switched = box.credentials().profiles.default
    expect(switched.jwtIssued).toBe(true)
    await loginByPin([], 'alice')
    const fresh = box.credentials().profiles.default
    expect(fresh.clientIdentifier).not.toBe(jwt.clientIdentifier)
    expect(await box.tokenStatus(fresh.token)).toBe(200)
    expect(await box.tokenStatus(switched.token)).not.toBe(200)
    expect(await box.tokenStatus(jwt.token)).not.toBe(200)
  })

  it('home switch asks for the PIN on a terminal, without echo', async () => {
    seedProfile(box, 'alice')
    const terminal = new Terminal('node', ['home', 'switch', 'Kids'], box.env)
    await terminal.waitFor(/Home PIN for Kids/)
    terminal.type('1234\r')
    expect(await terminal.exited).toBe(0)
    expect(terminal.text).toContain('Switched profile "default" to Kids')
    expect(terminal.text).not.toContain('1234')
  })
})
