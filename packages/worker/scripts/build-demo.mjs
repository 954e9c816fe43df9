// Builds the demo page into packages/worker/dist-demo/ (git-ignored), which wrangler serves as Workers
// static assets (`[assets]` in wrangler.toml): index.html, demo.js (demo/main.ts with the typed client
// it imports, one minified ES module), demo.css, favicon.svg, and `_headers`, which gives those files
// the page's CSP and security headers (the worker's own responses get theirs from secureHeaders in src/http/security.ts).
// Also /openapi.json, the OpenAPI document of the worker's routes (src/http/openapi-document.ts), built here so
// the JSON Schema conversion never ships in the worker. Also the API reference's script for /docs (Scalar's standalone build, pinned with its hash in
// package.json "apiReference"), taken from its npm package and served from this origin.
//
// Usage: node packages/worker/scripts/build-demo.mjs [outdir]
// Run it before `wrangler dev` and `wrangler deploy`: wrangler refuses a missing assets directory.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(packageDir, 'demo')
const outdir = resolve(process.argv[2] ?? join(packageDir, 'dist-demo'))

/**
 * The page's CSP: scripts, styles and fetches from this origin only; avatars from https (plex.tv);
 * no framing, no plugins, forms post only here.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** What every static file gets; the same security headers src/http/security.ts puts on the worker's answers. */
const HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
}

/**
 * The pinned API reference script, from node_modules/.cache when an earlier build fetched it, else from
 * its npm package (`npm pack`, which reads npm's cache first); refused unless its sha384 is the pinned one.
 */
async function apiReferenceScript() {
  const { apiReference: pin } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'))
  const cached = join(
    packageDir,
    '..',
    '..',
    'node_modules',
    '.cache',
    'plex-auth',
    `${pin.version}-${pin.file.replaceAll('/', '_')}`,
  )
  const integrity = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`
  try {
    const bytes = await readFile(cached)
    if (integrity(bytes) === pin.integrity) return bytes
  } catch {}
  const work = await mkdtemp(join(tmpdir(), 'plex-auth-api-reference-'))
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    const packed = execFileSync(
      npm,
      ['pack', `${pin.package}@${pin.version}`, '--prefer-offline', '--silent', '--pack-destination', work],
      {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        shell: process.platform === 'win32',
      },
    )
      .trim()
      .split('\n')
      .at(-1)
    execFileSync('tar', ['-xzf', packed, `package/${pin.file}`], { cwd: work, stdio: 'inherit' })
    const bytes = await readFile(join(work, 'package', pin.file))
    if (integrity(bytes) !== pin.integrity) {
      throw new Error(
        `${pin.package}@${pin.version} ${pin.file} does not match the pinned integrity: refusing it`,
      )
    }
    await mkdir(dirname(cached), { recursive: true })
    await writeFile(cached, bytes)
    return bytes
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** The OpenAPI document: the routes bundled for Node (their Durable Objects stubbed), then asked for it. */
async function openApiDocument() {
  const work = await mkdtemp(join(tmpdir(), 'plex-auth-openapi-'))
  try {
    const file = join(work, 'openapi.mjs')
    await build({
      absWorkingDir: packageDir,
      entryPoints: [join(packageDir, 'scripts', 'openapi-entry.ts')],
      outfile: file,
      bundle: true,
      format: 'esm',
      platform: 'node',
      conditions: ['@plex-auth/source'],
      alias: { 'cloudflare:workers': join(packageDir, 'scripts', 'cloudflare-workers-stub.mjs') },
      logLevel: 'warning',
    })
    return (await import(pathToFileURL(file).href)).document
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

const { apiReference } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'))
const apiReferenceBytes = await apiReferenceScript()

await rm(outdir, { recursive: true, force: true })
await mkdir(outdir, { recursive: true })
await build({
  absWorkingDir: packageDir,
  entryPoints: [
    { in: join(source, 'main.ts'), out: 'demo' },
    { in: join(source, 'style.css'), out: 'demo' },
  ],
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  conditions: ['@plex-auth/source'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
})
await writeFile(join(outdir, 'openapi.json'), JSON.stringify(await openApiDocument()))
await copyFile(join(source, 'index.html'), join(outdir, 'index.html'))
await copyFile(join(source, 'favicon.svg'), join(outdir, 'favicon.svg'))
// The name docs.ts's SCALAR_SCRIPT_PATH gives it.
await writeFile(join(outdir, `scalar-api-reference-${apiReference.version}.js`), apiReferenceBytes)
const headerLines = Object.entries(HEADERS).map(([name, value]) => `  ${name}: ${value}`)
await writeFile(
  join(outdir, '_headers'),
  ['# Written by packages/worker/scripts/build-demo.mjs: edit it there.', '/*', ...headerLines, ''].join(
    '\n',
  ),
)

const sizes = []
for (const name of ['index.html', 'demo.js', 'demo.css']) {
  sizes.push(`${name} ${((await stat(join(outdir, name))).size / 1024).toFixed(1)} KB`)
}
console.error(`demo page built in ${relative(process.cwd(), outdir) || '.'}: ${sizes.join(', ')}`)
