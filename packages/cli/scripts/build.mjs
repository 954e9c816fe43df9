// Builds dist/cli.js, the `plex-auth` binary: one ES module for Node >= 20 (also run by Deno and Bun) with
// everything bundled (the core from source, citty, @clack/prompts), so `npx`, `bunx` and
// `deno run npm:` fetch one package with no dependencies. Each command is its own chunk, loaded when it
// runs: `plex-auth token` parses only the entry and its own small chunk.
//
// Usage: node packages/cli/scripts/build.mjs
import { chmod, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = join(packageDir, 'dist')
const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'))

await rm(outdir, { recursive: true, force: true })
const result = await build({
  absWorkingDir: packageDir,
  entryPoints: { cli: 'src/cli.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The core's package.json points this condition at its TypeScript source: no build order to keep.
  conditions: ['@plex-auth/source'],
  chunkNames: 'chunks/[name]-[hash]',
  define: { __VERSION__: JSON.stringify(version) },
  // Readable output keeps --debug stack traces useful; the whole thing is small either way.
  minify: false,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
})
await chmod(join(outdir, 'cli.js'), 0o755)

// The bundled packages' licences travel with the bundle, as their MIT/ISC terms ask.
const packages = new Set()
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)
  if (match) packages.add(match[1])
}
const root = join(packageDir, '..', '..')
const sections = []
for (const name of [...packages].sort()) {
  const dir = join(root, 'node_modules', name)
  const { version: packageVersion, license } = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
  const text = await readFirst(dir, ['LICENSE', 'LICENSE.md', 'license', 'LICENSE.txt', 'license.md'])
  sections.push(
    `## ${name} ${packageVersion} (${license})\n\n${text?.trim() ?? '(no licence file shipped)'}\n`,
  )
}
await writeFile(
  join(outdir, 'THIRD-PARTY-LICENSES.md'),
  `# Third-party licences\n\nPackages bundled into dist/ by scripts/build.mjs.\n\n${sections.join('\n')}`,
)

async function readFirst(dir, names) {
  for (const name of names) {
    try {
      return await readFile(join(dir, name), 'utf8')
    } catch {}
  }
  return undefined
}
