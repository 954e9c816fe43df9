// wrangler.toml's `[build] command`: wrangler runs it before `wrangler dev` and `wrangler deploy`, so
// `npx wrangler dev` and `npx wrangler deploy` work on a fresh clone with nothing built by hand.
// - builds the static assets (the demo page and the API reference's script) into packages/worker/dist-demo;
// - for `wrangler dev` only (wrangler sets WRANGLER_COMMAND), writes .dev.vars with a fresh
//   TOKEN_ENCRYPTION_KEY when there is none. A deploy never writes a key: scripts/deploy.mjs stores it
//   as a Cloudflare secret.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureDevVars } from './secrets.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const built = spawnSync(process.execPath, [join(root, 'packages/worker/scripts/build-demo.mjs')], {
  cwd: root,
  stdio: 'inherit',
})
if (built.status !== 0) process.exit(built.status ?? 1)
if (process.env.WRANGLER_COMMAND === 'dev' && ensureDevVars(root)) {
  console.error('Created .dev.vars with a fresh TOKEN_ENCRYPTION_KEY for local development.')
}
