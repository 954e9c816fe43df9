import { env } from 'cloudflare:test'
import { createFakePlex } from '@plex-auth/fake-plex'
import { describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { DEMO_CSP } from '../src/demo-page.ts'

/** The app as the worker serves it (app.ts mounts demoPage at `/`). */
function appWithDemo() {
  const app = createApp({ fetch: createFakePlex().fetch })
  return (path: string, init: RequestInit = {}, bindings: object = env) => app.request(path, init, bindings)
}

async function page(): Promise<string> {
  const res = await appWithDemo()('/')
  expect(res.status).toBe(200)
  return res.text()
}

describe('GET / (demo page)', () => {
  it('serves HTML with a strict CSP, the secure headers, and nothing inline', async () => {
    const res = await appWithDemo()('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html; charset=utf-8/i)
    expect(res.headers.get('Content-Security-Policy')).toBe(DEMO_CSP)
    expect(DEMO_CSP).toContain("script-src 'self'")
    expect(DEMO_CSP).not.toContain('unsafe')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(res.headers.get('X-Frame-Options')).toBe('SAMEORIGIN')
    const html = await res.text()
    expect(html).toContain('<script src="/demo.js" defer></script>')
    expect(html).toContain('<link rel="stylesheet" href="/demo.css">')
    // Every <script> has a src, no <style> element, no style attribute, no inline event handler.
    expect(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull()
    expect(html).not.toMatch(/<style[\s>]/)
    expect(html).not.toMatch(/\sstyle=/)
    expect(html).not.toMatch(/\son[a-z]+=/)
  })

  it('labels every input, and the script only touches ids the page has', async () => {
    const html = await page()
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]))
    const labelled = new Set([...html.matchAll(/<label for="([^"]+)"/g)].map((m) => m[1]))
    const inputs = [...html.matchAll(/<input\s[^>]*id="([^"]+)"/g)].map((m) => m[1])
    expect(inputs).toEqual(['login', 'password', 'verification-code'])
    for (const id of inputs) expect(labelled.has(id), `label for #${id}`).toBe(true)
    const script = await (await appWithDemo()('/demo.js')).text()
    const used = [...script.matchAll(/\$\('([^']+)'\)/g)].map((m) => m[1])
    expect(used.length).toBeGreaterThan(20)
    for (const id of used) expect(ids.has(id), `#${id} in the page`).toBe(true)
    // Every button says what it does.
    for (const button of html.matchAll(/<button[^>]*>([^<]*)<\/button>/g))
      expect(button[1]!.trim()).not.toBe('')
  })

  it('works without any configuration (the API answers misconfigured, the page still loads)', async () => {
    const request = appWithDemo()
    expect((await request('/', {}, {})).status).toBe(200)
    expect((await request('/v1/health', {}, {})).status).toBe(500)
  })

  it('answers HEAD, and 405 with Allow for other methods', async () => {
    const res = await appWithDemo()('/', { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
    const post = await appWithDemo()('/', { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('Allow')).toBe('GET, HEAD, OPTIONS')
  })
})

describe('GET /demo.js and /demo.css', () => {
  it('serve JavaScript and CSS from the same origin', async () => {
    const request = appWithDemo()
    const js = await request('/demo.js')
    expect(js.status).toBe(200)
    expect(js.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8')
    expect(js.headers.get('X-Content-Type-Options')).toBe('nosniff')
    const css = await request('/demo.css')
    expect(css.status).toBe(200)
    expect(css.headers.get('Content-Type')).toBe('text/css; charset=utf-8')
    expect(await css.text()).toContain('[role=alert]')
  })

  it('the script keeps tokens out of storage and cookies, and drops the session token of sign-in answers', async () => {
    const script = await (await appWithDemo()('/demo.js')).text()
    expect(script).not.toMatch(/localStorage|sessionStorage|document\.cookie|innerHTML|eval\(/)
    expect(script).not.toMatch(/session\.token|\.session\b/)
    expect(script).not.toMatch(/Authorization/)
    expect(script).toContain("credentials: 'same-origin'")
    expect(script).toContain("'X-Poll-Token': pin.pollToken")
    expect(script).toContain("window.open(pin.authUrl, '_blank', 'noopener')")
    // Source connection answers may carry an accessToken: only its presence is shown.
    expect(script).not.toMatch(/textContent = [^\n]*accessToken/)
  })
})
