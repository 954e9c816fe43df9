// The demo page as it ships: packages/worker/scripts/build-demo.mjs run into a temporary folder, and
// its output checked as wrangler will serve it (Workers static assets, headers from `_headers`). The
// browser test (browser.test.ts) drives the served page end to end.
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultSeed } from '../packages/fake-plex/src/index.ts'
import { root, run } from './commands.ts'

/** The CSP of today's page, directive by directive: loosening any of them must be a visible change here. */
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
const SOURCE = join(root, 'packages/worker/demo')
const { apiReference } = JSON.parse(readFileSync(join(root, 'packages/worker/package.json'), 'utf8')) as {
  apiReference: { version: string; integrity: string }
}

let out: string
const built = (name: string): string => readFileSync(join(out, name), 'utf8')
const source = (name: string): string => readFileSync(join(SOURCE, name), 'utf8')

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'plex-auth-demo-'))
  await run(process.execPath, ['packages/worker/scripts/build-demo.mjs', out], { cwd: root })
}, 60_000)
afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true })
})

/** `_headers` as rules: path pattern to its headers. */
function headerRules(text: string): Map<string, Map<string, string>> {
  const rules = new Map<string, Map<string, string>>()
  let current: Map<string, string> | undefined
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue
    if (!/^\s/.test(line)) {
      current = new Map()
      rules.set(line.trim(), current)
      continue
    }
    const colon = line.indexOf(':')
    current?.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return rules
}

describe('node packages/worker/scripts/build-demo.mjs', () => {
  it('writes the page, its script, stylesheet and icon, the OpenAPI document, and _headers', () => {
    expect(readdirSync(out).sort()).toEqual([
      '_headers',
      'demo.css',
      'demo.js',
      'favicon.svg',
      'index.html',
      'openapi.json',
      `scalar-api-reference-${apiReference.version}.js`,
    ])
  })

  it('builds /openapi.json from the routes, so the worker ships no JSON Schema converter', () => {
    const document = JSON.parse(readFileSync(join(out, 'openapi.json'), 'utf8'))
    expect(document.openapi).toBe('3.1.0')
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/health', '/v1/sign-in', '/v1/access', '/v1/forward-auth']),
    )
    expect(
      document.paths['/v1/sign-in'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(['login', 'password'])
  })

  it('copies the pinned API reference script for /docs, byte for byte the release its hash names', () => {
    const bytes = readFileSync(join(out, `scalar-api-reference-${apiReference.version}.js`))
    expect(`sha384-${createHash('sha384').update(bytes).digest('base64')}`).toBe(apiReference.integrity)
    // Workers static assets take files up to 25 MiB.
    expect(bytes.length).toBeLessThan(25 * 1024 * 1024)
  })

  it('gives every file the strict CSP and the security headers', () => {
    const rules = headerRules(built('_headers'))
    expect([...rules.keys()]).toEqual(['/*'])
    const headers = rules.get('/*')!
    expect(headers.get('content-security-policy')).toBe(CSP)
    expect(headers.get('x-content-type-options')).toBe('nosniff')
    expect(headers.get('x-frame-options')).toBe('DENY')
    expect(headers.get('referrer-policy')).toBe('no-referrer')
  })

  it('wrangler.toml serves that folder as static assets, and the worker for every other path', () => {
    const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8')
    expect(toml).toMatch(/^\[assets\]\ndirectory = "packages\/worker\/dist-demo"\n/m)
    // `true` (or a list) would run the worker before the assets, and `single-page-application` would
    // answer unknown paths with index.html instead of the worker's 404 problem.
    expect(toml).not.toMatch(/^run_worker_first\s*=/m)
    expect(toml).toMatch(/^not_found_handling = "none"$/m)
  })

  it("names the fake Plex's demo accounts as seeded (shown only on loopback)", () => {
    const note = source('index.html').match(/<p id="demo-accounts"[^>]*>([\s\S]*?)<\/p>/)?.[1] ?? ''
    const seeded = defaultSeed.accounts.filter(
      (account) => account.login === 'alice' || account.login === 'bob',
    )
    expect(seeded).toHaveLength(2)
    for (const account of seeded) {
      expect(note).toContain(`<strong>${account.login}</strong> / <code>${account.password}</code>`)
      if (account.verificationCode) expect(note).toContain(`<code>${account.verificationCode}</code>`)
    }
  })

  it('index.html has nothing inline: one same-origin module script, one stylesheet', () => {
    const html = built('index.html')
    expect(html).toContain('<script type="module" src="/demo.js"></script>')
    expect(html).toContain('<link rel="stylesheet" href="/demo.css">')
    expect(html.match(/<script\b/g)).toHaveLength(1)
    expect(html).not.toMatch(/<style[\s>]/)
    expect(html).not.toMatch(/\sstyle=/)
    expect(html).not.toMatch(/\son[a-z]+=/i)
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
  })

  it('demo.js is one self-contained module: no import, nothing of valibot or hono', () => {
    const js = built('demo.js')
    expect(js).not.toMatch(/(^|[^.\w$])import\s*[\s("'{*]/)
    expect(js).not.toMatch(/(^|[;}\s])export\s*[{*]/)
    expect(js).not.toMatch(/valibot|hono/i)
    expect(js).not.toContain('sourceMappingURL')
    expect(js.length).toBeLessThan(20_000)
    // The typed client is in it: the page uses the client that ships.
    expect(js).toContain('WorkerProblemError')
  })

  it('labels every input and names every button', () => {
    const html = source('index.html')
    const labelled = new Set([...html.matchAll(/<label for="([^"]+)"/g)].map((m) => m[1]))
    const inputs = [...html.matchAll(/<input\s[^>]*id="([^"]+)"/g)].map((m) => m[1])
    expect(inputs).toEqual(['login', 'password', 'verification-code', 'home-pin'])
    for (const id of inputs) expect(labelled.has(id), `label for #${id}`).toBe(true)
    for (const button of html.matchAll(/<button[^>]*>([^<]*)<\/button>/g))
      expect(button[1]!.trim()).not.toBe('')
    expect(html).toMatch(/id="error"[^>]*role="alert"/)
    expect(html).toMatch(/id="status"[^>]*role="status"[^>]*aria-live="polite"/)
  })

  it('the script only looks up ids the page has', () => {
    const ids = new Set([...source('index.html').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]))
    const scripts = readdirSync(SOURCE)
      .filter((name) => name.endsWith('.ts'))
      .map(source)
      .join('\n')
    const used = [...scripts.matchAll(/byId\('([^']+)'/g)].map((m) => m[1])
    expect(used.length).toBeGreaterThan(25)
    for (const id of used) expect(ids.has(id), `#${id} in index.html`).toBe(true)
  })

  it('keeps tokens out of storage, cookies and markup', () => {
    const js = built('demo.js')
    expect(js).not.toMatch(/localStorage|document\.cookie|innerHTML|outerHTML|eval\(/)
    // sessionStorage only as the client's signInWithPlex uses it: the pending PIN of a same-window sign-in,
    // under its one key, removed once resumed. The page's own code never touches storage.
    expect(js).toContain('plex-auth:pending-pin')
    expect([...new Set(js.match(/sessionStorage\.\w+/g))].sort()).toEqual([
      'sessionStorage.getItem',
      'sessionStorage.removeItem',
      'sessionStorage.setItem',
    ])
    const scripts = ['main.ts', 'view.ts'].map(source).join('\n')
    expect(scripts.replace(/\/\/.*$/gm, '')).not.toMatch(/sessionStorage|localStorage/)
    expect(scripts).toContain("createWorkerClient({ baseUrl: location.origin, session: 'cookie' })")
    expect(scripts).toMatch(/from '@plex-auth\/worker\/client'/)
    // Sign-in answers: only `user` is kept (cookie mode carries no session token anyway).
    expect(scripts).not.toMatch(/\.session\b|session\.token|withSession|Authorization/)
    // The popup opens inside the click (signInWithPlex), never after an await.
    expect(scripts).toContain('signInWithPlex(worker, {')
    expect(scripts).not.toContain('window.open(')
    // Source connection answers may carry an accessToken: only its presence is shown.
    expect(scripts).not.toMatch(/textContent = [^\n]*accessToken/)
  })
})
