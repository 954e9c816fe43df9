// `npm test`: every check the project has, in order, each as its own step so a failure names itself.
// Runs all steps even after a failure, then prints one summary line and exits non-zero if any failed.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const only = process.argv.slice(2)

/** [name, command] pairs; commands run from the repository root with node_modules/.bin on PATH. */
const steps = [
  // Every project, by its references in tsconfig.json (declarations only, into .tsbuild/).
  ['typecheck', 'tsc -b tsconfig.json'],
  ['lint', 'biome ci .'],
  ['build core', 'npm run build --silent -w @plex-auth/core'],
  ['package checks (publint, attw)', 'npm run check:package --silent -w @plex-auth/core'],
  ['jsr dry run', 'cd packages/core && deno publish --dry-run --allow-dirty --quiet'],
  ['fake-plex tests', 'vitest run --root packages/fake-plex'],
  ['core tests (Node, with a coverage floor)', 'vitest run --root packages/core --coverage'],
  [
    'core conformance (Deno)',
    'deno test --quiet --allow-read --allow-env packages/core/test/conformance/deno.test.ts',
  ],
  ['core conformance (Bun)', 'bun test packages/core/test/conformance/bun.test.ts'],
  ['core conformance (workerd)', 'vitest run --root packages/core -c vitest.workerd.config.ts'],
  ['worker tests (workerd)', 'vitest run --root packages/worker'],
  ['cli (Node, Deno, Bun)', 'vitest run --root packages/cli'],
  [
    'cli package check (publint)',
    'npm run build --silent -w @plex-auth/cli && cd packages/cli && publint --strict',
  ],
  ['end-to-end and browser tests', 'vitest run --root test --exclude fresh-clone.test.ts'],
  // Last: a clone of HEAD, `npm ci` from npm's cache, then the READMEs' commands as written.
  ["fresh clone (npm ci, then the READMEs' commands)", 'vitest run --root test fresh-clone'],
]

const results = []
for (const [name, command] of steps) {
  if (only.length > 0 && !only.some((o) => name.includes(o))) continue
  console.log(`\n=== ${name}: ${command}`)
  const started = Date.now()
  const run = spawnSync(command, {
    cwd: root,
    shell: true,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}` },
  })
  const ok = run.status === 0
  results.push({ name, ok, seconds: ((Date.now() - started) / 1000).toFixed(1) })
  console.log(
    `=== ${name}: ${ok ? 'ok' : `FAILED (exit ${run.status ?? run.signal})`} in ${results.at(-1).seconds}s`,
  )
}

console.log('\nSummary')
for (const r of results) console.log(`  ${r.ok ? 'ok    ' : 'FAILED'} ${r.name} (${r.seconds}s)`)
const failed = results.filter((r) => !r.ok).length
console.log(`steps: ${results.length - failed} passed, ${failed} failed`)
process.exit(failed > 0 ? 1 : 0)
