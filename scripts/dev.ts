// `npm start`: the worker under `wrangler dev` on 127.0.0.1:8787 against the real plex.tv.
// `npm run demo`: the same against the fake Plex served on loopback, so every endpoint can be tried
// without a Plex account. Both create a git-ignored .dev.vars with a fresh key (scripts/secrets.mjs), and
// wrangler builds the demo page itself (`[build]` in wrangler.toml).
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ensureDevVars } from './secrets.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Where `npm run demo` serves the fake plex.tv unless --fake-port or FAKE_PLEX_PORT says otherwise. */
const DEFAULT_FAKE_PORT = 32500
const { values: args } = parseArgs({
  options: {
    demo: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.PORT ?? '8787' },
    // A fixed port, so URLs the demo hands out (a CLI profile's plex.tv URL, a PIN's approval link) stay
    // the same across restarts; the fake's servers take the next ports (32501, 32502, ...).
    'fake-port': { type: 'string', default: process.env.FAKE_PLEX_PORT ?? String(DEFAULT_FAKE_PORT) },
    ip: { type: 'string', default: '127.0.0.1' },
  },
})

async function main(): Promise<void> {
  // wrangler's [build] step would write it too; here it is also there for the fake's first line of output.
  if (ensureDevVars(root)) console.log('Created .dev.vars with a fresh TOKEN_ENCRYPTION_KEY.')
  const origin = `http://${args.ip === '127.0.0.1' ? 'localhost' : args.ip}:${args.port}`
  const vars: Record<string, string> = {
    ALLOWED_ORIGINS: [`http://localhost:${args.port}`, `http://127.0.0.1:${args.port}`].join(','),
  }
  let closeFake: (() => Promise<void>) | undefined
  if (args.demo) {
    const { serveFakePlex, describeSeed } = await import('../packages/fake-plex/src/serve.ts')
    const fakePort = Number(args['fake-port'])
    // Next to wrangler's local KV, so the fake remembers the tokens the worker's sessions (and a CLI
    // profile) hold across restarts; `WRANGLER_PERSIST_TO` (the tests) moves both.
    const stateDir = process.env.WRANGLER_PERSIST_TO ?? join(root, '.wrangler', 'state')
    mkdirSync(stateDir, { recursive: true })
    const stateFile = join(stateDir, 'fake-plex.json')
    const fake = await serveFakePlex({ port: fakePort, stateFile }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') throw error
      console.error(
        `Port ${fakePort} (or one after it) is taken: is another demo running? Choose others with --fake-port <port> or FAKE_PLEX_PORT.`,
      )
      process.exit(1)
    })
    closeFake = fake.close
    const [firstServer] = fake.servers
    vars.PLEX_TV_URL = fake.plexTvUrl
    // The fake serves clients.plex.tv's JWT endpoints (PIN sign-in with a device key) on the same port.
    vars.PLEX_CLIENTS_URL = fake.plexTvUrl
    vars.PLEX_APP_URL = fake.appUrl
    if (firstServer) vars.PLEX_SERVER_URL = firstServer.url
    vars.ALLOWED_SERVER_URLS = fake.servers.map((s) => s.url).join(',')
    // The fake's servers listen on plain http on loopback; a real deployment leaves this off.
    vars.ALLOW_HTTP_SERVERS = 'true'
    console.log(`Fake plex.tv on ${fake.plexTvUrl}`)
    console.log(describeSeed(fake))
  }
  // The OpenID Connect provider's settings and an access policy, when set in the environment (the
  // Chromium test of an app signing in).
  for (const key of ['OIDC_CLIENTS', 'OIDC_ISSUER', 'PLEX_ACCESS_SERVERS', 'PLEX_ACCESS_OWNER_ID'])
    if (process.env[key]) vars[key] = process.env[key] as string
  const wranglerArgs = ['wrangler', 'dev', '--ip', args.ip, '--port', args.port, '--log-level', 'warn']
  for (const [key, value] of Object.entries(vars)) wranglerArgs.push('--var', `${key}:${value}`)
  // Tests give each run its own local KV folder.
  if (process.env.WRANGLER_PERSIST_TO) wranglerArgs.push('--persist-to', process.env.WRANGLER_PERSIST_TO)
  // Offline demo: miniflare would try to download the Request.cf placeholder from Cloudflare and warn.
  const env = args.demo ? { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false' } : process.env
  const child = spawn('npx', wranglerArgs, { cwd: root, stdio: 'inherit', env })
  console.log(`Worker starting on ${origin} (open ${origin}/ for the demo page, ${origin}/docs for the API)`)
  const stop = (): void => {
    child.kill('SIGTERM')
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  child.on('exit', async (code) => {
    await closeFake?.()
    process.exit(code ?? 0)
  })
}

await main()
