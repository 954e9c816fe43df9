// Worker benchmarks, all on loopback against the fake Plex served over HTTP:
// - the deployable bundle (`wrangler deploy --dry-run --outdir`), gzipped;
// - throughput of GET /v1/user with a session (KV read, AES-GCM, GetTokenDetails) beside the same route
//   doing only the upstream call (bench/baseline-worker.ts), interleaved in one run;
// - latency of POST /v1/transient-token answered from the KV cache beside one minted fresh by the server.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import autocannon from 'autocannon'
import { unstable_startWorker } from 'wrangler'
import { serveFakePlex } from '../packages/fake-plex/src/serve.ts'

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`

function measureBundle(): { raw: number; gzipped: number } {
  const outdir = mkdtempSync(join(tmpdir(), 'plex-auth-bundle-'))
  execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, WRANGLER_LOG: 'error' },
  })
  let raw = 0
  let gzipped = 0
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.js'))) {
    const code = readFileSync(join(outdir, file))
    raw += code.byteLength
    gzipped += gzipSync(code, { level: 9 }).byteLength
  }
  return { raw, gzipped }
}

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

export async function runWorkerBenchmarks(): Promise<void> {
  // Offline: do not let miniflare try to download the Request.cf placeholder.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  const bundle = measureBundle()
  console.log('\n## Worker bundle (wrangler deploy --dry-run --outdir, gzip -9)\n')
  console.log(`| bundle | raw | gzipped | budget |\n| --- | ---: | ---: | ---: |`)
  console.log(`| worker | ${kb(bundle.raw)} | ${kb(bundle.gzipped)} | 60 KB |`)

  const fake = await serveFakePlex()
  const alice = fake.fake.accounts.find((a) => a.login === 'alice')!
  const server = fake.servers[0]!
  const worker = await unstable_startWorker({
    config: 'wrangler.toml',
    bindings: {
      PLEX_CLIENT_IDENTIFIER: { type: 'plain_text', value: 'plex-auth-bench' },
      TOKEN_ENCRYPTION_KEY: { type: 'plain_text', value: randomBytes(32).toString('base64') },
      PLEX_TV_URL: { type: 'plain_text', value: fake.plexTvUrl },
      PLEX_SERVER_URL: { type: 'plain_text', value: server.url },
    },
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: false,
      persist: false,
      watch: false,
      logLevel: 'error',
    },
  })
  const baseline = await unstable_startWorker({
    entrypoint: 'bench/baseline-worker.ts',
    compatibilityDate: '2026-04-20',
    build: { alias: { '@plex-auth/core': './packages/core/src/index.ts' } },
    bindings: {
      PLEX_TV_URL: { type: 'plain_text', value: fake.plexTvUrl },
      BENCH_PLEX_TOKEN: { type: 'plain_text', value: alice.token },
    },
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: false,
      persist: false,
      watch: false,
      logLevel: 'error',
    },
  })
  try {
    const workerUrl = (await worker.url).origin
    const baselineUrl = (await baseline.url).origin
    const signIn = await fetch(`${workerUrl}/v1/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'alice', password: alice.password }),
    })
    if (signIn.status !== 201)
      throw new Error(`bench sign-in failed: ${signIn.status} ${await signIn.text()}`)
    const { session } = (await signIn.json()) as { session: { token: string } }
    const auth = { authorization: `Bearer ${session.token}` }

    // Warm both, then alternate short runs so that machine noise falls on both alike.
    await load(`${workerUrl}/v1/user`, { headers: auth }, 2)
    await load(`${baselineUrl}/v1/user`, {}, 2)
    const withSession: LoadResult[] = []
    const bare: LoadResult[] = []
    for (let round = 0; round < 3; round++) {
      withSession.push(await load(`${workerUrl}/v1/user`, { headers: auth }, 4))
      bare.push(await load(`${baselineUrl}/v1/user`, {}, 4))
    }
    const mean = (rows: LoadResult[], key: keyof LoadResult): number =>
      rows.reduce((sum, r) => sum + r[key], 0) / rows.length
    const ours = mean(withSession, 'requestsPerSecond')
    const theirs = mean(bare, 'requestsPerSecond')
    console.log(
      '\n## GET /v1/user throughput on loopback (autocannon, 16 connections, 3 interleaved rounds of 4 s)\n',
    )
    console.log('| route | req/s | p50 | p99 | errors | ratio |\n| --- | ---: | ---: | ---: | ---: | ---: |')
    console.log(
      `| with session (session lookup, AES-GCM open, upstream call) | ${ours.toFixed(0)} | ${mean(withSession, 'p50').toFixed(0)} ms | ${mean(withSession, 'p99').toFixed(0)} ms | ${mean(withSession, 'non2xx')} | ${(ours / theirs).toFixed(2)} |`,
    )
    console.log(
      `| upstream call only (baseline) | ${theirs.toFixed(0)} | ${mean(bare, 'p50').toFixed(0)} ms | ${mean(bare, 'p99').toFixed(0)} ms | ${mean(bare, 'non2xx')} | 1.00 |`,
    )

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
      console.log(`| ${name} | ${r.requestsPerSecond.toFixed(0)} | ${r.p50} ms | ${r.p99} ms | ${r.non2xx} |`)
    }
  } finally {
    await worker.dispose()
    await baseline.dispose()
    await fake.close()
  }
}
