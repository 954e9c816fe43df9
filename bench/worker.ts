// Worker benchmarks, all on loopback against the fake Plex served over HTTP:
// - the deployable bundle (`wrangler deploy --dry-run --outdir`), gzipped;
// - throughput of GET /v1/user with a session (KV read, AES-GCM, GetTokenDetails) beside the same route
//   doing only the upstream call (bench/baseline-worker.ts), interleaved in one run; and on a Plex JWT
//   session, asking plex.tv beside answering from the JWT's verified claims (`?from=claims`);
// - latency of POST /v1/transient-token answered from the KV cache beside one minted fresh by the server.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { unstable_startWorker } from 'wrangler'
import { serveFakePlex } from '../packages/fake-plex/src/serve.ts'
import { kb } from './timing.ts'

/** The deployable bundle as `wrangler deploy --dry-run` builds and reports it: raw bytes, and wrangler's own gzip figure. */
function measureBundle(): { raw: number; gzippedKiB: number } {
  const outdir = mkdtempSync(join(tmpdir(), 'plex-auth-bundle-'))
  // wrangler prints the figure on stdout or stderr depending on its version: read both.
  const run = spawnSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir], {
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_LOG: 'log', NO_COLOR: '1' },
  })
  const output = `${run.stdout}\n${run.stderr}`
  if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${output}`)
  const reported = /gzip: ([0-9.]+) KiB/.exec(output)?.[1]
  if (!reported) throw new Error(`wrangler printed no gzip figure:\n${output}`)
  let raw = 0
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.js')))
    raw += statSync(join(outdir, file)).size
  return { raw, gzippedKiB: Number(reported) }
}

/** The worker's whole bundle, as wrangler reports it gzipped, must stay within this (issue 18). */
const BUNDLE_BUDGET_KIB = 48

interface LoadResult {
  requestsPerSecond: number
  p50: number
  p99: number
  non2xx: number
}

async function load(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  seconds: number,
): Promise<LoadResult> {
  const result = await autocannon({ url, connections: 16, duration: seconds, ...init })
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
  }
}

/** Warms each target, then alternates short runs of them, so that machine noise falls on each alike. */
async function interleaved(
  targets: { url: string; headers: Record<string, string> }[],
): Promise<LoadResult[][]> {
  for (const t of targets) await load(t.url, { headers: t.headers }, 2)
  const results = targets.map(() => [] as LoadResult[])
  for (let round = 0; round < 3; round++) {
    for (const [i, t] of targets.entries()) results[i]!.push(await load(t.url, { headers: t.headers }, 4))
  }
  return results
}

export async function runWorkerBenchmarks(): Promise<void> {
  // Offline: do not let miniflare try to download the Request.cf placeholder.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  const bundle = measureBundle()
  console.log('\n## Worker bundle (wrangler deploy --dry-run: its own gzip figure)\n')
  console.log(`| bundle | raw | gzipped | budget |\n| --- | ---: | ---: | ---: |`)
  console.log(
    `| worker (minified, as deployed) | ${kb(bundle.raw)} | ${bundle.gzippedKiB.toFixed(2)} KB | ${BUNDLE_BUDGET_KIB} KB |`,
  )
  if (bundle.gzippedKiB > BUNDLE_BUDGET_KIB)
    throw new Error(
      `worker bundle ${bundle.gzippedKiB} KiB gzipped is over its ${BUNDLE_BUDGET_KIB} KiB budget`,
    )

  const fake = await serveFakePlex()
  const alice = fake.fake.accounts.find((a) => a.login === 'alice')!
  const server = fake.servers[0]!
  const dev = {
    server: { hostname: '127.0.0.1', port: 0 },
    inspector: false,
    persist: false,
    watch: false,
    logLevel: 'error',
  } as const
  const startOurs = (extra: Record<string, string> = {}) =>
    unstable_startWorker({
      config: 'wrangler.toml',
      bindings: Object.fromEntries(
        Object.entries({
          TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
          PLEX_TV_URL: fake.plexTvUrl,
          PLEX_CLIENTS_URL: fake.plexTvUrl,
          PLEX_SERVER_URL: server.url,
          // PIN sign-ins hold Plex JWTs (opt-in), for the JWT session rows; password sign-in stays legacy.
          PLEX_TOKEN_KIND: 'jwt',
          ...extra,
        }).map(([name, value]) => [name, { type: 'plain_text' as const, value }]),
      ),
      dev,
    })
  const worker = await startOurs()
  // The same worker reading KV on every request, to show what the isolate's session cache saves.
  const uncached = await startOurs({ SESSION_CACHE_SECONDS: '0' })
  const baseline = await unstable_startWorker({
    entrypoint: 'bench/baseline-worker.ts',
    compatibilityDate: '2026-04-20',
    build: { alias: { '@plex-auth/core': './packages/core/src/index.ts' } },
    bindings: {
      PLEX_TV_URL: { type: 'plain_text', value: fake.plexTvUrl },
      BENCH_PLEX_TOKEN: { type: 'plain_text', value: alice.token },
    },
    dev,
  })
  try {
    const workerUrl = (await worker.url).origin
    const signInTo = async (url: string): Promise<Record<string, string>> => {
      const res = await fetch(`${url}/v1/sign-in`, {
        method: 'POST',
        // A script's session: the token in the answer, not in a cookie.
        headers: { 'content-type': 'application/json', 'x-session-mode': 'bearer' },
        body: JSON.stringify({ login: 'alice', password: alice.password }),
      })
      if (res.status !== 201) throw new Error(`bench sign-in failed: ${res.status} ${await res.text()}`)
      const { session } = (await res.json()) as { session: { token: string } }
      return { authorization: `Bearer ${session.token}` }
    }
    const auth = await signInTo(workerUrl)
    // A PIN sign-in (PLEX_TOKEN_KIND=jwt above): the session holds a Plex JWT and its device key.
    const jwtSignIn = async (url: string): Promise<Record<string, string>> => {
      const created = await fetch(`${url}/v1/pins`, { method: 'POST' })
      const pin = (await created.json()) as { id: string; code: string; pollToken: string }
      fake.fake.approvePin(pin.code, 'alice')
      const res = await fetch(`${url}/v1/pins/${pin.id}`, {
        headers: { 'x-poll-token': pin.pollToken, 'x-session-mode': 'bearer' },
      })
      const body = (await res.json()) as { status: string; session?: { token: string } }
      if (body.status !== 'authorized') throw new Error(`bench PIN sign-in failed: ${JSON.stringify(body)}`)
      return { authorization: `Bearer ${body.session!.token}` }
    }
    const jwtAuth = await jwtSignIn(workerUrl)
    const uncachedUrl = (await uncached.url).origin
    const candidates = [
      {
        name: 'with session (session lookup, AES-GCM open, upstream call)',
        url: `${workerUrl}/v1/user`,
        headers: auth,
      },
      {
        name: 'with session, SESSION_CACHE_SECONDS=0 (a KV read every request)',
        url: `${uncachedUrl}/v1/user`,
        headers: await signInTo(uncachedUrl),
      },
      {
        name: 'Plex JWT session, from plex.tv (the same, with a JWT)',
        url: `${workerUrl}/v1/user`,
        headers: jwtAuth,
      },
      {
        name: 'Plex JWT session, `?from=claims` (verified locally, no plex.tv call)',
        url: `${workerUrl}/v1/user?from=claims`,
        headers: jwtAuth,
      },
      { name: 'upstream call only (baseline)', url: `${(await baseline.url).origin}/v1/user`, headers: {} },
    ]

    const results = await interleaved(candidates)
    const mean = (rows: LoadResult[], key: keyof LoadResult): number =>
      rows.reduce((sum, r) => sum + r[key], 0) / rows.length
    const baselineRate = mean(results.at(-1)!, 'requestsPerSecond')
    console.log(
      '\n## GET /v1/user throughput on loopback (autocannon, 16 connections, 3 interleaved rounds of 4 s)\n',
    )
    console.log(
      '| route | req/s | p50 | p99 | errors | vs baseline |\n| --- | ---: | ---: | ---: | ---: | ---: |',
    )
    for (const [i, c] of candidates.entries()) {
      const rows = results[i]!
      const rate = mean(rows, 'requestsPerSecond')
      // A figure measured on error answers is no figure: say so loudly rather than print it as one.
      if (mean(rows, 'non2xx') > 0) process.exitCode = 1
      console.log(
        `| ${c.name} | ${rate.toFixed(0)} | ${mean(rows, 'p50').toFixed(0)} ms | ${mean(rows, 'p99').toFixed(0)} ms | ${mean(rows, 'non2xx')} | ${(rate / baselineRate).toFixed(2)} |`,
      )
    }

    const transient = (fresh: boolean) =>
      load(
        `${workerUrl}/v1/transient-token`,
        {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(fresh ? { fresh: true } : {}),
        },
        4,
      )
    await transient(false) // fills the cache
    const cached = await transient(false)
    const minted = await transient(true)
    console.log('\n## POST /v1/transient-token latency (autocannon, 16 connections, 4 s each)\n')
    console.log('| token | req/s | p50 | p99 | errors |\n| --- | ---: | ---: | ---: | ---: |')
    for (const [name, r] of [
      ['cached in KV', cached],
      ['fresh from the server', minted],
    ] as const) {
      if (r.non2xx > 0) process.exitCode = 1
      console.log(`| ${name} | ${r.requestsPerSecond.toFixed(0)} | ${r.p50} ms | ${r.p99} ms | ${r.non2xx} |`)
    }

    // Forward-auth runs before every request a proxy passes on: held to 0.9 of /v1/health's throughput.
    const gate = [
      { name: '`GET /v1/health` (no session, no KV)', url: `${workerUrl}/v1/health`, headers: {} },
      { name: '`GET /v1/forward-auth` with a session', url: `${workerUrl}/v1/forward-auth`, headers: auth },
    ]
    const gateResults = await interleaved(gate)
    const healthRate = mean(gateResults[0]!, 'requestsPerSecond')
    console.log(
      '\n## Forward-auth throughput on loopback (autocannon, 16 connections, 3 interleaved rounds of 4 s)\n',
    )
    console.log(
      '| route | req/s | p50 | p99 | errors | vs /v1/health |\n| --- | ---: | ---: | ---: | ---: | ---: |',
    )
    for (const [i, g] of gate.entries()) {
      const rows = gateResults[i]!
      const rate = mean(rows, 'requestsPerSecond')
      if (mean(rows, 'non2xx') > 0) process.exitCode = 1
      console.log(
        `| ${g.name} | ${rate.toFixed(0)} | ${mean(rows, 'p50').toFixed(0)} ms | ${mean(rows, 'p99').toFixed(0)} ms | ${mean(rows, 'non2xx')} | ${(rate / healthRate).toFixed(2)} |`,
      )
    }
  } finally {
    await worker.dispose()
    await uncached.dispose()
    await baseline.dispose()
    await fake.close()
  }
}
