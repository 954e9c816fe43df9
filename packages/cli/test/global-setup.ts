// The tests drive the real binary: build it first, so they never run a stale dist/.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export default function setup(): void {
  const script = fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))
  const built = spawnSync(process.execPath, [script], { stdio: 'inherit' })
  if (built.status !== 0) throw new Error(`building the CLI failed (exit ${built.status})`)
}
