// Builds the demo page into packages/worker/dist-demo/ (git-ignored), which wrangler serves as Workers
// static assets (`[assets]` in wrangler.toml): index.html, demo.js (demo/main.ts with the typed client
// it imports, one minified ES module), demo.css, favicon.svg, and `_headers`, which gives those files
// the page's CSP and security headers (the worker's own responses get theirs from secureHeaders()).
//
// Usage: node packages/worker/scripts/build-demo.mjs [outdir]
// Run it before `wrangler dev` and `wrangler deploy`: wrangler refuses a missing assets directory.
import { copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
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

/** What every static file gets; the same security headers secureHeaders() puts on the worker's answers. */
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
await copyFile(join(source, 'index.html'), join(outdir, 'index.html'))
await copyFile(join(source, 'favicon.svg'), join(outdir, 'favicon.svg'))
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
