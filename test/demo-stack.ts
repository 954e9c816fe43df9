// Starts the stack exactly as `npm run demo` does (scripts/dev.ts --demo: the fake Plex on loopback and
// the worker under `wrangler dev`) on free ports, and waits until the worker answers.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root } from './commands.ts'

export interface DemoStack {
  url: string
  plexTvUrl: string
  output: () => string
  stop: () => Promise<void>
}

/** A free TCP port on loopback (the OS picks it; we release it right away for wrangler to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Whether a TCP port on loopback can be bound right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * The first of `count` consecutive free ports: the demo's fake Plex takes its port for plex.tv and the
 * next ones for its servers, so one free port alone is not enough (a taken neighbour failed a CI run).
 */
export async function freePortRun(count: number, avoid: number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await freePort()
    const run = Array.from({ length: count }, (_, i) => first + i)
    if (run.some((port) => avoid.includes(port) || port > 65535)) continue
    const free = await Promise.all(run.slice(1).map(bindable))
    if (free.every(Boolean)) return first
  }
  throw new Error(`no ${count} consecutive free ports on loopback`)
}

/**
 * Spawns `npm run demo -- --port <p> --fake-port <q>` (or `npm start -- --port <p>`) in its own process
 * group and waits for /v1/health.
 */
export async function startDemoStack(
  script: 'demo' | 'start' = 'demo',
  /** Settings for the worker, by its port (scripts/dev.ts passes OIDC_* on). */
  settings: (port: number) => Record<string, string> = () => ({}),
): Promise<DemoStack> {
  // The fake Plex's plex.tv and its two seeded servers, on consecutive ports; the worker on none of them.
  const fakePort = await freePortRun(3)
  let port = await freePort()
  while (port >= fakePort && port < fakePort + 3) port = await freePort()
  let log = ''
  const args =
    script === 'demo'
      ? ['run', 'demo', '--silent', '--', '--port', String(port), '--fake-port', String(fakePort)]
      : ['start', '--silent', '--', '--port', String(port)]
  const child: ChildProcess = spawn('npm', args, {
    cwd: root,
    detached: true,
    // A private wrangler state folder: runs never see each other's KV.
    env: {
      ...process.env,
      ...settings(port),
      WRANGLER_PERSIST_TO: mkdtempSync(join(tmpdir(), 'plex-auth-e2e-')),
      CI: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (d) => (log += d))
  child.stderr?.on('data', (d) => (log += d))
  const url = `http://127.0.0.1:${port}`
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || !child.pid) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    process.kill(-child.pid, 'SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
    if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
  }
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm run demo exited with ${child.exitCode}:\n${log}`)
    try {
      const res = await fetch(`${url}/v1/health`)
      if (res.ok) return { url, plexTvUrl: `http://127.0.0.1:${fakePort}`, output: () => log, stop }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  await stop()
  throw new Error(`worker did not answer on ${url} within 90 s:\n${log}`)
}
