// `npm run deploy`: the worker live on the Cloudflare account wrangler is logged in to (`npx wrangler
// login`, or CLOUDFLARE_API_TOKEN), in one command, as often as you like:
// 1. `wrangler deploy`: builds the assets ([build] in wrangler.toml) and uploads the worker; on the first
//    deploy wrangler itself creates the KV namespace (no id in wrangler.toml) and the Durable Object.
// 2. every secret the worker needs that the worker does not have yet is made here (WebCrypto) and piped
//    to `wrangler secret put` on its standard input: never in an argument, a log line or a file. An
//    existing secret is never replaced (rotating TOKEN_ENCRYPTION_KEY stays the manual step the README
//    gives), so a second run changes nothing but the code.
// 3. prints the worker's URL and the next step (ALLOWED_ORIGINS).
// Arguments after `--` go to `wrangler deploy` (e.g. `npm run deploy -- --dry-run`, which stops after
// the build and touches no secret); `--env`, `--name` and `--config` also go to the secret commands.
import { spawn } from 'node:child_process'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKey, REQUIRED_SECRETS } from './secrets.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// The project's pinned wrangler, unless one comes earlier on PATH (`npm run` puts the same one first;
// the deploy test puts a stand-in first).
const env = { ...process.env, PATH: [process.env.PATH, join(root, 'node_modules', '.bin')].join(delimiter) }

/**
 * Runs `wrangler <args>` from the repository root; its output is shown as it comes and also returned.
 * @param {string[]} args
 * @param {{ input?: string, quiet?: boolean }} [options] input: written to its stdin; quiet: output only returned
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
function wrangler(args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('wrangler', args, { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (!options.quiet) process.stdout.write(chunk)
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      if (!options.quiet) process.stderr.write(chunk)
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

/** Stops with one line for people, and wrangler's own words when it said something. */
function fail(message, output = '') {
  const detail = output.trim().split('\n').filter(Boolean).at(-1)
  console.error(`deploy: ${message}${detail ? `\n  wrangler said: ${detail}` : ''}`)
  process.exit(1)
}

/** The names of the worker's secrets; none when the worker does not exist yet (Cloudflare's 10007). */
async function existingSecrets() {
  const listed = await wrangler(['secret', 'list', '--format', 'json', ...targetArgs], { quiet: true })
  const output = `${listed.stdout}\n${listed.stderr}`
  if (listed.code !== 0) {
    if (/\b(10007|10090)\b/.test(output)) return new Set()
    fail(
      "could not list the worker's secrets. Sign in with `npx wrangler login` (or set CLOUDFLARE_API_TOKEN) and run `npm run deploy` again.",
      output,
    )
  }
  let secrets
  try {
    secrets = JSON.parse(listed.stdout.slice(listed.stdout.indexOf('[')))
  } catch {
    fail('`wrangler secret list` did not answer JSON.', output)
  }
  return new Set(secrets.map((secret) => secret.name))
}

const deployArgs = process.argv.slice(2)
const dryRun = deployArgs.includes('--dry-run')
/** The arguments that choose which worker (`--env`, `--name`, `--config`): the secrets go to the same one. */
const targetArgs = deployArgs.flatMap((arg, i) => {
  if (/^(--env|--name|--config)=/.test(arg)) return [arg]
  if (['--env', '-e', '--name', '--config', '-c'].includes(arg) && deployArgs[i + 1] !== undefined)
    return [arg, deployArgs[i + 1]]
  return []
})

const deployed = await wrangler(['deploy', ...deployArgs])
if (deployed.code !== 0) fail('`wrangler deploy` failed (see above).')
if (dryRun) process.exit(0)

const have = await existingSecrets()
for (const name of REQUIRED_SECRETS) {
  if (have.has(name)) {
    console.error(`${name}: already set, kept.`)
    continue
  }
  const put = await wrangler(['secret', 'put', name, ...targetArgs], { input: generateKey(), quiet: true })
  if (put.code !== 0) fail(`could not store ${name} as a secret.`, `${put.stdout}\n${put.stderr}`)
  console.error(`${name}: generated and stored as a secret (it is not shown, and no copy is kept).`)
}

const url = `${deployed.stdout}\n${deployed.stderr}`.match(/https:\/\/[^\s]+\.workers\.dev\b/)?.[0]
console.log(`\nThe worker is live${url ? ` at ${url}` : " (its URL is in wrangler's output above)"}.`)
console.log(`Check it:  curl ${url ?? 'https://<your worker>'}/v1/health`)
console.log(
  'Next: allow your frontend\'s origin. Set ALLOWED_ORIGINS (comma-separated, e.g. "https://app.example.com") under [vars] in wrangler.toml, then run `npm run deploy` again.',
)
