// A new user's first hour: clone the repository (its committed HEAD) into a temporary folder, `npm ci`
// there, and run the READMEs' commands exactly as written, in the order a reader meets them, against the
// fake Plex on loopback. Each command is looked up in its README first, so a README that changes its
// command without this test (or the other way round) fails here. Nothing reaches the network: npm ci
// reads npm's cache (filled by the outer install), and everything else is loopback.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServedFakePlex, serveFakePlex } from '../packages/fake-plex/src/serve.ts'
import { root } from './commands.ts'
import { freePort, freePortRun } from './demo-stack.ts'

const exec = promisify(execFile)
const README = readFileSync(join(root, 'README.md'), 'utf8')
const CLI_README = readFileSync(join(root, 'packages/cli/README.md'), 'utf8')

let dir: string
let repo: string
let installLog = ''
let fake: ServedFakePlex
/** This machine's PATH without any node_modules/.bin: the clone's commands must find their own tools. */
const PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((entry) => !entry.includes('node_modules'))
  .join(delimiter)

/** Runs a README command in the clone with bash, as a reader would paste it; never throws. */
async function sh(
  command: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('bash', ['-c', command], {
      cwd: repo,
      env: { ...process.env, PATH, CI: 'true', WRANGLER_SEND_METRICS: 'false', ...env },
      timeout: 120_000,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return {
      code: typeof failed.code === 'number' ? failed.code : 1,
      stdout: failed.stdout,
      stderr: failed.stderr,
    }
  }
}

/** A long-running README command in its own process group, and a way to stop all of it. */
function start(
  command: string,
  env: Record<string, string> = {},
): { child: ChildProcess; output: () => string } {
  let output = ''
  const child = spawn('bash', ['-c', command], {
    cwd: repo,
    detached: true,
    env: { ...process.env, PATH, CI: 'true', WRANGLER_SEND_METRICS: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  return { child, output: () => output }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || !child.pid) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  process.kill(-child.pid, 'SIGTERM')
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
  if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
}

/** Waits for `${url}/v1/health` to answer, or for the process to die. */
async function health(url: string, child: ChildProcess, output: () => string): Promise<Response> {
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${output()}`)
    try {
      return await fetch(`${url}/v1/health`)
    } catch {
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  throw new Error(`no answer on ${url} within 90 s:\n${output()}`)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plex-auth-fresh-clone-'))
  repo = join(dir, 'repo')
  const { stdout: head } = await exec('git', ['rev-parse', 'HEAD'], { cwd: root })
  await exec('git', ['clone', '--quiet', '--no-checkout', root, repo])
  await exec('git', ['checkout', '--quiet', head.trim()], { cwd: repo })
  // --prefer-offline: every package is in npm's cache after the outer `npm ci`.
  const installed = await sh('npm ci --prefer-offline --no-audit --no-fund 2>&1')
  installLog = installed.stdout + installed.stderr
  if (installed.code !== 0) throw new Error(`npm ci failed in the clone:\n${installLog}`)
  fake = await serveFakePlex({ port: 0 })
}, 300_000)

afterAll(async () => {
  await fake?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('a fresh clone, after `npm ci` alone', () => {
  it('npm ci built the core and the CLI, and warned only about the documented engines', () => {
    expect(existsSync(join(repo, 'packages/core/dist/index.js'))).toBe(true)
    expect(existsSync(join(repo, 'node_modules/.bin/plex-auth'))).toBe(true)
    expect(installLog).not.toMatch(/install-scripts/)
    const engines = [...installLog.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map((m) => m[1]!)
    // The copies @cloudflare/vitest-plugin bundles (README "Requirements" says why they stay).
    for (const name of engines) {
      expect(name).toMatch(/^(wrangler@4\.156\.2|miniflare@5\.[^']+|@cloudflare\/kv-asset-handler@0\.5\.0)$/)
      expect(README).toContain(`\`${name.startsWith('miniflare@5') ? 'miniflare@5…' : name}\``)
    }
  })

  it('npx plex-auth --help (README, CLI README)', async () => {
    expect(README).toContain('npx plex-auth --help')
    expect(CLI_README).toContain('npx plex-auth --help')
    const { code, stdout, stderr } = await sh('npx plex-auth --help')
    expect({ code, stderr }).toMatchObject({ code: 0 })
    expect(stdout + stderr).toMatch(/login/)
  })

  it('node examples/node.mjs signs in and gets a transient token; a wrong password is one line', async () => {
    const command = 'node examples/node.mjs'
    expect(README).toContain(`PLEX_PASSWORD=... ${command}`)
    const env = { PLEX_TV_URL: fake.plexTvUrl, PLEX_LOGIN: 'alice', PLEX_PASSWORD: 'alice-password' }
    const ok = await sh(command, { ...env, PLEX_SERVER_URL: fake.servers[0]!.url })
    expect(ok.stderr).toBe('')
    expect(ok.stdout).toContain('Signed in as alice <alice@example.com>')
    expect(ok.stdout).toMatch(/Transient token: \d+ characters/)
    const refused = await sh(command, { ...env, PLEX_PASSWORD: 'wrong' })
    expect(refused.code).toBe(1)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toMatch(/^Plex said no: unauthorized/)
  })

  it('npx deno run … examples/deno.ts signs bob in with his 2FA code', async () => {
    const command = 'npx deno run --allow-net --allow-env --allow-read examples/deno.ts'
    expect(README).toContain(command)
    const { code, stdout, stderr } = await sh(command, {
      PLEX_TV_URL: fake.plexTvUrl,
      PLEX_LOGIN: 'bob',
      PLEX_PASSWORD: 'bob-password',
      PLEX_2FA_CODE: '123456',
    })
    expect({ code, stderr }).toMatchObject({ code: 0 })
    expect(stdout).toContain('Signed in as bob <bob@example.com>')
  })

  it('npx bun examples/bun.ts signs in; a wrong 2FA code is one line', async () => {
    const command = 'npx bun examples/bun.ts'
    expect(README).toContain(command)
    const env = { PLEX_TV_URL: fake.plexTvUrl, PLEX_LOGIN: 'alice', PLEX_PASSWORD: 'alice-password' }
    const ok = await sh(command, env)
    expect(ok.stdout).toContain('Signed in as alice <alice@example.com>')
    const refused = await sh(command, {
      ...env,
      PLEX_LOGIN: 'bob',
      PLEX_PASSWORD: 'bob-password',
      PLEX_2FA_CODE: '000000',
    })
    expect(refused.code).toBe(1)
    expect(refused.stderr.trim().split('\n')).toEqual([
      'Plex said no: unauthorized (the 2FA code, or the password, was not accepted: use the current code)',
    ])
  })

  it('npm run deploy -- --dry-run: wrangler builds the assets and accepts wrangler.toml without ids', async () => {
    expect(README).toContain('npm run deploy -- --dry-run')
    const { code, stdout, stderr } = await sh('npm run deploy -- --dry-run', {
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    })
    expect({ code, stderr: code === 0 ? '' : stderr }).toMatchObject({ code: 0 })
    expect(stdout + stderr).toContain('--dry-run: exiting now.')
    expect(existsSync(join(repo, 'packages/worker/dist-demo/index.html'))).toBe(true)
  }, 120_000)

  it('npx wrangler dev: writes .dev.vars with a generated key and answers /v1/health', async () => {
    expect(README).toContain('so does a plain `npx wrangler dev`')
    rmSync(join(repo, '.dev.vars'), { force: true })
    const port = await freePort()
    const dev = start(`npx wrangler dev --ip 127.0.0.1 --port ${port}`, {
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    })
    try {
      const res = await health(`http://127.0.0.1:${port}`, dev.child, dev.output)
      expect(await res.json()).toEqual({ status: 'ok' })
      const vars = readFileSync(join(repo, '.dev.vars'), 'utf8')
      expect(Buffer.from(vars.match(/^TOKEN_ENCRYPTION_KEY=(.+)$/m)![1]!, 'base64')).toHaveLength(32)
      expect(statSync(join(repo, '.dev.vars')).mode & 0o777).toBe(0o600)
      // The key never reaches wrangler's output.
      expect(dev.output()).not.toContain(vars.match(/^TOKEN_ENCRYPTION_KEY=(.+)$/m)![1]!)
    } finally {
      await stop(dev.child)
    }
  }, 120_000)

  it('npm run demo, then the typed-client example on Node 20 (npx tsx), with a 2FA account', async () => {
    expect(README).toContain('npm run demo')
    const command = 'npx tsx examples/worker-client.ts'
    expect(README).toContain(command)
    const fakePort = await freePortRun(3)
    const port = await freePort()
    const demo = start(`npm run demo -- --port ${port} --fake-port ${fakePort}`, {
      WRANGLER_PERSIST_TO: join(dir, 'wrangler-state'),
    })
    try {
      const url = `http://127.0.0.1:${port}`
      expect((await health(url, demo.child, demo.output)).status).toBe(200)
      const { code, stdout, stderr } = await sh(command, {
        PLEX_AUTH_URL: url,
        PLEX_LOGIN: 'bob',
        PLEX_PASSWORD: 'bob-password',
        PLEX_2FA_CODE: '123456',
      })
      expect({ code, stderr }).toMatchObject({ code: 0 })
      expect(stdout).toContain('Signed in as bob')
      expect(stdout).toContain('Signed out')
      const refused = await sh(command, { PLEX_AUTH_URL: url, PLEX_LOGIN: 'alice', PLEX_PASSWORD: 'wrong' })
      expect(refused.code).toBe(1)
      expect(refused.stderr.trim().split('\n')).toEqual([
        'The worker said no: invalid_credentials (Plex did not accept this login and password.)',
      ])
    } finally {
      await stop(demo.child)
    }
  }, 150_000)

  it('npm run demo keeps a session across a restart: the worker and the fake both remember', async () => {
    const fakePort = await freePortRun(3)
    const port = await freePort()
    const command = `npm run demo -- --port ${port} --fake-port ${fakePort}`
    const env = { WRANGLER_PERSIST_TO: join(dir, 'restart-state') }
    const url = `http://127.0.0.1:${port}`
    let token = ''
    const first = start(command, env)
    try {
      await health(url, first.child, first.output)
      const signIn = await fetch(`${url}/v1/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-session-mode': 'bearer' },
        body: JSON.stringify({ login: 'alice', password: 'alice-password' }),
      })
      expect(signIn.status).toBe(201)
      token = ((await signIn.json()) as { session: { token: string } }).session.token
    } finally {
      await stop(first.child)
    }
    const second = start(command, env)
    try {
      await health(url, second.child, second.output)
      // GET /v1/user asks the fake plex.tv with the Plex token the session holds: both must remember it.
      const user = await fetch(`${url}/v1/user`, { headers: { authorization: `Bearer ${token}` } })
      expect(user.status).toBe(200)
      expect(((await user.json()) as { username: string }).username).toBe('alice')
    } finally {
      await stop(second.child)
    }
  }, 150_000)
})
