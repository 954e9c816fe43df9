/**
 * Serves the fake over real HTTP on loopback (Node only): plex.tv on one port, each seeded server on its
 * own port. Run directly for the demo: `npx tsx packages/fake-plex/src/serve.ts --port 32500`.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { type Http2Bindings, type HttpBindings, type ServerType, serve } from '@hono/node-server'
import {
  createFakePlex,
  defaultSeed,
  type FakePlex,
  type FakePlexOptions,
  type FakeServer,
  type PersistedState,
  type SeedServer,
} from './index.ts'

export interface ServeFakePlexOptions extends Omit<FakePlexOptions, 'plexTvUrl'> {
  /** Default '127.0.0.1'. */
  host?: string
  /** plex.tv port, default 0 (any free port; so is NaN). When set, server i listens on port + 1 + i. */
  port?: number
  /**
   * A JSON file that keeps the issued tokens, device keys and signing keys across restarts (read at start,
   * written after every request that may change them). Default: none, every start is the seed.
   */
  stateFile?: string
}

export interface ServedFakePlex {
  plexTvUrl: string
  /** The approval page playing app.plex.tv: pass it as `appUrl` to buildAuthUrl. */
  appUrl: string
  /** Seeded servers, their URLs rewritten to http://<host>:<port>. */
  servers: FakeServer[]
  fake: FakePlex
  close(): Promise<void>
}

type Handler = (request: Request, env: HttpBindings | Http2Bindings) => Promise<Response>

function listen(
  fetch: Handler,
  hostname: string,
  port: number,
): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, (info: AddressInfo) =>
      resolve({ server, port: info.port }),
    )
    server.once('error', reject)
  })
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    if ('closeAllConnections' in server) server.closeAllConnections()
    server.close(() => resolve())
  })
}

/** plex.tv's avatar path: the served fake answers it itself. */
const AVATAR_PATH = /^\/users\/[^/]+\/avatar$/

/** A plain avatar (a circle with a person's outline): what the served fake shows for every account. */
function avatar(): Response {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="32" fill="#e5a00d"/>' +
    '<circle cx="32" cy="25" r="11" fill="#1f1f1f"/><path d="M12 54a20 20 0 0 1 40 0z" fill="#1f1f1f"/></svg>'
  return new Response(svg, { headers: { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=86400' } })
}

/**
 * The fake's answers name avatars on https://plex.tv as Plex's do; served on loopback they point at the
 * fake itself instead, so a client showing them (the demo page) sends nothing off the machine.
 */
async function offlineAvatars(response: Response, plexTvUrl: string): Promise<Response> {
  const type = response.headers.get('Content-Type') ?? ''
  if (!response.body || !/json|xml/.test(type) || !plexTvUrl) return response
  const text = await response.text()
  const body = text.replaceAll('https://plex.tv/users/', `${plexTvUrl}/users/`)
  const headers = new Headers(response.headers)
  headers.delete('Content-Length')
  return new Response(body, { status: response.status, statusText: response.statusText, headers })
}

/** Takes back what an earlier run kept in `file`; a missing or unreadable file means the seed alone. */
function loadState(file: string, fake: FakePlex): void {
  let saved: PersistedState
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as PersistedState
  } catch {
    return
  }
  fake.restore(saved)
}

/** Writes the fake's long-lived state to `file` atomically (mode 0600: it holds tokens, fake as they are). */
function saveState(file: string, fake: FakePlex): void {
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(fake.snapshot()), { mode: 0o600 })
  renameSync(temporary, file)
}

/** Starts plex.tv and every seeded server on loopback. */
export async function serveFakePlex(options: ServeFakePlexOptions = {}): Promise<ServedFakePlex> {
  const { host = '127.0.0.1', port: requestedPort, seed = defaultSeed, stateFile, ...fakeOptions } = options
  // NaN (e.g. Number(undefined) from a CLI) means 'any free port'.
  const port = requestedPort !== undefined && Number.isInteger(requestedPort) ? requestedPort : 0
  let fake: FakePlex | undefined

  // Every port forwards to the fake under the origin it stands for, whatever Host the client sent.
  const forwardTo =
    (origin: () => string): Handler =>
    async (request, env) => {
      if (!fake) return new Response('starting', { status: 503 })
      const incoming = new URL(request.url)
      const hasBody = request.method !== 'GET' && request.method !== 'HEAD'
      const rewritten = new Request(new URL(incoming.pathname + incoming.search, origin()), {
        method: request.method,
        headers: request.headers,
        body: hasBody ? await request.arrayBuffer() : undefined,
        signal: request.signal,
      })
      try {
        if (request.method === 'GET' && AVATAR_PATH.test(incoming.pathname)) return avatar()
        const response = await fake.handle(rewritten)
        // A token is issued, renewed or revoked only by a request that is not a GET (PIN polls aside).
        if (stateFile && (request.method !== 'GET' || incoming.pathname.startsWith('/api/v2/pins/')))
          saveState(stateFile, fake)
        return offlineAvatars(response, plexTvUrl)
      } catch (error) {
        // A 'network' fault: drop the connection, as a dead host would.
        env.incoming.socket.destroy()
        return new Response(null, { status: error instanceof TypeError ? 502 : 499 })
      }
    }

  const listening: ServerType[] = []
  let plexTvUrl = ''
  try {
    const served = await Promise.all(
      seed.servers.map(async (server, index) => {
        let url = ''
        const started = await listen(
          forwardTo(() => url),
          host,
          port === 0 ? 0 : port + 1 + index,
        )
        listening.push(started.server)
        url = `http://${host}:${started.port}`
        const rewritten: SeedServer = {
          ...server,
          url,
          connections: [
            { protocol: 'http', address: host, port: started.port, uri: url, local: true, relay: false },
          ],
        }
        return rewritten
      }),
    )
    const plexTv = await listen(
      forwardTo(() => plexTvUrl),
      host,
      port,
    )
    listening.push(plexTv.server)
    plexTvUrl = `http://${host}:${plexTv.port}`
    fake = createFakePlex({ ...fakeOptions, seed: { ...seed, servers: served }, plexTvUrl })
    if (stateFile) loadState(stateFile, fake)
    return {
      plexTvUrl,
      appUrl: `${plexTvUrl}/auth`,
      servers: fake.servers,
      fake,
      close: async () => {
        await Promise.all(listening.map(closeServer))
      },
    }
  } catch (error) {
    await Promise.all(listening.map(closeServer))
    throw error
  }
}

/** Human-readable summary of a served fake: URLs, servers and the demo accounts with passwords and 2FA codes. */
export function describeSeed(served: ServedFakePlex): string {
  const lines = [
    'fake-plex is running (nothing here reaches the real Plex)',
    `  plex.tv       ${served.plexTvUrl}   (clients.plex.tv too: pass it as clientsUrl)`,
    `  app.plex.tv   ${served.appUrl}   (PIN approval page)`,
    '  servers:',
  ]
  const seedServers = served.fake.servers
  for (const server of seedServers) {
    lines.push(`    ${server.url}  ${server.name}  id ${server.id}  owner ${server.ownerLogin}`)
  }
  lines.push('  accounts (login / password / 2FA code / token):')
  for (const account of served.fake.accounts) {
    const code = account.verificationCode ? `2FA ${account.verificationCode}` : 'no 2FA'
    lines.push(`    ${account.login} (${account.email}) / ${account.password} / ${code} / ${account.token}`)
    for (const user of account.home?.users ?? []) {
      const pin = user.pin === undefined ? 'no PIN' : `PIN ${user.pin}`
      lines.push(`      Home user ${user.title} (uuid ${user.uuid}) / ${pin}`)
    }
  }
  lines.push(`  control: POST ${served.plexTvUrl}/__fake/reset, /__fake/faults, /__fake/servers/<id>/restart`)
  lines.push(`           GET ${served.plexTvUrl}/__fake/devices?login=<login>  (authorized devices)`)
  return lines.join('\n')
}

function parseArgs(argv: string[]): { host?: string; port?: number } {
  const out: { host?: string; port?: number } = {}
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') out.port = Number(argv[++i])
    else if (argv[i] === '--host') out.host = argv[++i]
  }
  if (out.port !== undefined && !(Number.isInteger(out.port) && out.port >= 0 && out.port < 65536)) {
    throw new Error('--port must be an integer between 0 and 65535')
  }
  return out
}

const entry = process.argv[1]
if (entry && import.meta.url === pathToFileURL(entry).href) {
  const served = await serveFakePlex(parseArgs(process.argv.slice(2)))
  console.log(describeSeed(served))
  const stop = () => {
    served.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
