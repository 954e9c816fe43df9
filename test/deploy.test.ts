// `npm run deploy` (scripts/deploy.mjs) against a stand-in for wrangler: an executable named `wrangler`
// first on PATH that records each call (arguments and standard input) and answers like wrangler's account
// commands would. Then the real wrangler checks that wrangler.toml deploys without any resource id.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { bin, root, run } from './commands.ts'

const URL = 'https://plex-auth.example-account.workers.dev'

/** How the stand-in answers `wrangler secret list`. */
type Account = { secrets: string[] } | 'worker missing' | 'signed out'

/** The stand-in: appends `{args, stdin}` to calls.jsonl, answers from account.json. */
const STAND_IN = `#!/usr/bin/env node
const { appendFileSync, readFileSync } = require('node:fs')
const { join } = require('node:path')
const dir = __dirname
const args = process.argv.slice(2)
let stdin = ''
process.stdin.on('data', (d) => (stdin += d))
process.stdin.on('end', () => {
  appendFileSync(join(dir, 'calls.jsonl'), JSON.stringify({ args, stdin }) + '\\n')
  const account = JSON.parse(readFileSync(join(dir, 'account.json'), 'utf8'))
  const [command, sub] = args
  if (command === 'deploy') {
    if (account.deployFails) { console.error('✘ [ERROR] Build failed'); process.exit(1) }
    console.log('Uploaded plex-auth\\nDeployed plex-auth triggers\\n  ${URL}\\n  schedule: 17 3 * * *')
    return
  }
  if (command === 'secret' && sub === 'list') {
    if (account.state === 'worker missing') {
      console.error('✘ [ERROR] A request to the Cloudflare API failed.\\n  This Worker does not exist on your account. [code: 10007]')
      process.exit(1)
    }
    if (account.state === 'signed out') {
      console.error('✘ [ERROR] In a non-interactive environment, it is necessary to set a CLOUDFLARE_API_TOKEN.')
      process.exit(1)
    }
    console.log(JSON.stringify(account.state.secrets.map((name) => ({ name, type: 'secret_text' }))))
    return
  }
  if (command === 'secret' && sub === 'put') {
    console.log('✨ Success! Uploaded secret ' + args[2])
    return
  }
  console.error('stand-in wrangler: unexpected call'); process.exit(2)
})
`

let dir: string

function standIn(state: Account, options: { deployFails?: boolean } = {}): void {
  writeFileSync(join(dir, 'account.json'), JSON.stringify({ state, ...options }))
}

function calls(): { args: string[]; stdin: string }[] {
  try {
    return readFileSync(join(dir, 'calls.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
  } catch {
    return []
  }
}

/** `node scripts/deploy.mjs [args]` with the stand-in first on PATH; resolves even on failure. */
async function deploy(args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['scripts/deploy.mjs', ...args], {
      cwd: root,
      env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH}` },
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plex-auth-deploy-'))
  writeFileSync(join(dir, 'wrangler'), STAND_IN)
  chmodSync(join(dir, 'wrangler'), 0o755)
})

describe('npm run deploy (scripts/deploy.mjs)', () => {
  it('first deploy: deploys, then generates TOKEN_ENCRYPTION_KEY and hands it to wrangler on stdin only', async () => {
    standIn('worker missing')
    const { code, stdout, stderr } = await deploy()
    expect(code).toBe(0)
    const made = calls()
    expect(made.map((c) => c.args)).toEqual([
      ['deploy'],
      ['secret', 'list', '--format', 'json'],
      ['secret', 'put', 'TOKEN_ENCRYPTION_KEY'],
    ])
    const key = made[2]!.stdin
    // 32 random bytes, base64: what the worker's configuration accepts.
    expect(Buffer.from(key, 'base64')).toHaveLength(32)
    expect(Buffer.from(key, 'base64').toString('base64')).toBe(key)
    // Never printed, never in an argument.
    expect(stdout + stderr).not.toContain(key)
    expect(made.flatMap((c) => c.args).join(' ')).not.toContain(key)
    expect(stderr).toContain('TOKEN_ENCRYPTION_KEY: generated and stored as a secret')
    expect(stdout).toContain(`The worker is live at ${URL}.`)
    expect(stdout).toContain('ALLOWED_ORIGINS')
  })

  it('keys differ from one deploy to another (never a fixed key)', async () => {
    standIn('worker missing')
    await deploy()
    await deploy()
    const keys = calls()
      .filter((c) => c.args[1] === 'put')
      .map((c) => c.stdin)
    expect(keys).toHaveLength(2)
    expect(keys[0]).not.toBe(keys[1])
  })

  it('a second deploy keeps the existing secret: nothing but the code changes', async () => {
    standIn({ secrets: ['TOKEN_ENCRYPTION_KEY'] })
    const { code, stderr } = await deploy()
    expect(code).toBe(0)
    expect(calls().map((c) => c.args)).toEqual([['deploy'], ['secret', 'list', '--format', 'json']])
    expect(stderr).toContain('TOKEN_ENCRYPTION_KEY: already set, kept.')
  })

  it('signed out: one line saying how to sign in, and no secret is sent', async () => {
    standIn('signed out')
    const { code, stderr } = await deploy()
    expect(code).toBe(1)
    expect(stderr).toMatch(
      /^deploy: could not list the worker's secrets\. Sign in with `npx wrangler login`/m,
    )
    expect(stderr).not.toMatch(/\n\s+at /) // no stack trace
    expect(calls().some((c) => c.args[1] === 'put')).toBe(false)
  })

  it('a failed `wrangler deploy` stops before any secret', async () => {
    standIn('worker missing', { deployFails: true })
    const { code, stderr } = await deploy()
    expect(code).toBe(1)
    expect(stderr).toContain('deploy: `wrangler deploy` failed')
    expect(calls().map((c) => c.args)).toEqual([['deploy']])
  })

  it('`--env`/`--name`/`--config` go to the secret commands too, so the key lands on the deployed worker', async () => {
    standIn('worker missing')
    const { code } = await deploy(['--env', 'staging', '--name=auth-staging', '--minify'])
    expect(code).toBe(0)
    expect(calls().map((c) => c.args)).toEqual([
      ['deploy', '--env', 'staging', '--name=auth-staging', '--minify'],
      ['secret', 'list', '--format', 'json', '--env', 'staging', '--name=auth-staging'],
      ['secret', 'put', 'TOKEN_ENCRYPTION_KEY', '--env', 'staging', '--name=auth-staging'],
    ])
  })

  it('`npm run deploy -- --dry-run` only builds: no account command', async () => {
    standIn('signed out')
    const { code } = await deploy(['--dry-run'])
    expect(code).toBe(0)
    expect(calls().map((c) => c.args)).toEqual([['deploy', '--dry-run']])
  })
})

describe('wrangler.toml', () => {
  it('names no resource id: wrangler provisions the KV namespace on the first deploy', () => {
    const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8')
    const kv = toml.slice(toml.indexOf('[[kv_namespaces]]')).split(/\n\[/)[0]!
    expect(kv).toContain('binding = "PLEX_AUTH_KV"')
    expect(kv).not.toMatch(/^\s*id\s*=/m)
    expect(toml).not.toMatch(/"0{32}"/)
  })

  it('the real `wrangler deploy --dry-run` builds the assets itself and accepts the configuration', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'plex-auth-dry-run-'))
    const { stdout, stderr } = await run(bin('wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    })
    const output = stdout + stderr
    expect(output).toContain('[custom build] Running: node scripts/wrangler-build.mjs')
    expect(output).toMatch(/env\.PLEX_AUTH_KV\s+KV Namespace/)
    expect(output).toMatch(/env\.SIGN_IN_GUARD \(SignInGuard\)\s+Durable Object/)
    expect(output).toContain('--dry-run: exiting now.')
  }, 120_000)
})
