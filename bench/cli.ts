// Cold start of `plex-auth token` (the built binary, a stored plex.tv token, no network) against
// `node -e ''` on the same machine, in one run: each candidate is spawned in turn, rotating the order each
// round, and the median wall time is reported. Target (issue 11): at most 2x `node -e ''`. Deno and Bun
// running the same file are shown for reference, and python-plexapi reading a stored token where it is
// installed (`pip install plexapi`; PyPI is not reachable from every machine).
//
// Hook: in bench/run.ts, `if (wanted('cli')) { const { runCliBenchmarks } = await import('./cli.ts'); await runCliBenchmarks() }`.
// Alone: npx tsx bench/cli.ts [rounds]
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const cli = join(root, 'packages/cli/dist/cli.js')
const bin = (name: string): string => join(root, 'node_modules/.bin', name)

export interface ColdStartRow {
  name: string
  command: string[]
  medianMs: number
}

interface ColdStartCandidate {
  name: string
  command: string[]
  env?: NodeJS.ProcessEnv
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Spawns each candidate `rounds` times, interleaved, after one warm-up each (file cache, Deno's cache). */
export function measureColdStarts(candidates: ColdStartCandidate[], rounds = 31): ColdStartRow[] {
  const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]))
  const once = (candidate: ColdStartCandidate): number => {
    const [command, ...args] = candidate.command
    const start = performance.now()
    const result = spawnSync(command!, args, {
      env: candidate.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const elapsed = performance.now() - start
    if (result.status !== 0) {
      throw new Error(`${candidate.name} exited ${result.status ?? result.signal}: ${result.stderr}`)
    }
    return elapsed
  }
  for (const candidate of candidates) once(candidate)
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[(i + round) % candidates.length]!
      samples.get(candidate.name)!.push(once(candidate))
    }
  }
  return candidates.map((c) => ({ name: c.name, command: c.command, medianMs: median(samples.get(c.name)!) }))
}

/** python-plexapi's own way to a stored token (its config.ini), if python3 can import plexapi here. */
function plexapiCandidate(configHome: string): ColdStartCandidate | undefined {
  const probe = spawnSync('python3', ['-c', 'import plexapi'], { stdio: 'ignore' })
  if (probe.status !== 0) return undefined
  const config = join(configHome, 'plexapi', 'config.ini')
  mkdirSync(join(configHome, 'plexapi'), { recursive: true })
  writeFileSync(config, '[auth]\nserver_token = ALiCeT0kenFaKe9x2Qm7\n')
  return {
    name: 'python-plexapi: CONFIG token',
    command: ['python3', '-c', "from plexapi import CONFIG; print(CONFIG.get('auth.server_token'))"],
    env: { ...process.env, PLEXAPI_CONFIG_PATH: config },
  }
}

export async function runCliBenchmarks(rounds = 31): Promise<void> {
  const built = spawnSync(process.execPath, [join(root, 'packages/cli/scripts/build.mjs')], {
    stdio: 'inherit',
  })
  if (built.status !== 0) throw new Error('building the CLI failed')
  const configHome = mkdtempSync(join(tmpdir(), 'plex-auth-bench-'))
  try {
    mkdirSync(join(configHome, 'plex-auth'), { recursive: true, mode: 0o700 })
    const credentials = {
      version: 1,
      profiles: {
        default: { clientIdentifier: 'plex-auth-bench', token: 'ALiCeT0kenFaKe9x2Qm7', tokenType: 'legacy' },
      },
    }
    writeFileSync(join(configHome, 'plex-auth', 'credentials.json'), JSON.stringify(credentials), {
      mode: 0o600,
    })
    const env = { ...process.env, XDG_CONFIG_HOME: configHome }
    const candidates: ColdStartCandidate[] = [
      { name: "node -e ''", command: [process.execPath, '-e', ''] },
      { name: 'plex-auth token (Node)', command: [process.execPath, cli, 'token'], env },
      { name: 'plex-auth --version (Node)', command: [process.execPath, cli, '--version'], env },
      { name: 'plex-auth token (Deno)', command: [bin('deno'), 'run', '-A', cli, 'token'], env },
      { name: 'plex-auth token (Bun)', command: [bin('bun'), cli, 'token'], env },
    ]
    const plexapi = plexapiCandidate(configHome)
    if (plexapi) candidates.push(plexapi)
    const rows = measureColdStarts(candidates, rounds)
    const bare = rows[0]!
    const ours = rows[1]!
    console.log(
      `\n## CLI cold start (median wall time of ${rounds} interleaved spawns each, after one warm-up)\n`,
    )
    console.log("| command | median | vs node -e '' |")
    console.log('| --- | ---: | ---: |')
    for (const row of rows) {
      console.log(
        `| ${row.name} | ${row.medianMs.toFixed(1)} ms | ${(row.medianMs / bare.medianMs).toFixed(2)}x |`,
      )
    }
    if (!plexapi) console.log('| python-plexapi | not installed (python3 cannot import plexapi) | |')
    const ratio = ours.medianMs / bare.medianMs
    console.log(
      `\nplex-auth token: ${ratio.toFixed(2)}x node -e '' (target: at most 2x) ${ratio <= 2 ? 'met' : 'MISSED'}`,
    )
  } finally {
    rmSync(configHome, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runCliBenchmarks(Number(process.argv[2]) || 31)
}
