import { describe, expect, it } from 'vitest'
import { docsCsp, SCALAR_INTEGRITY, SCALAR_SCRIPT_PATH, SCALAR_VERSION } from '../../src/routes/docs.ts'
import { expectProblem, harness } from '../helpers.ts'

/*
 * That SCALAR_INTEGRITY is the hash of the pinned file is checked where the file is: the build refuses
 * any other bytes, and test/demo-build.test.ts hashes what it copied into the assets.
 */

/** The harness's requests go to this origin; the CSP names the script on it. */
const ORIGIN = 'http://localhost'
const DOCS_CSP = docsCsp(ORIGIN)

/** The directives of a CSP header, by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name!, values]),
  )
}

describe('GET /docs', () => {
  it('serves an interactive reference at /docs', async () => {
    const res = await harness().request('/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/text\/html/)
    expect(await res.text()).toContain('/openapi.json')
  })

  it('loads one script: the pinned Scalar release from its own assets, with Subresource Integrity', async () => {
    const res = await harness().request('/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html; charset=utf-8/i)
    const html = await res.text()
    expect(SCALAR_VERSION).toMatch(/^\d+\.\d+\.\d+$/)
    expect(SCALAR_INTEGRITY).toMatch(/^sha384-[A-Za-z0-9+/]{64}$/)
    expect(SCALAR_SCRIPT_PATH).toBe(`/scalar-api-reference-${SCALAR_VERSION}.js`)
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])
    const external = scripts.filter((tag) => /\ssrc=/.test(tag))
    expect(external).toEqual([`<script src="${SCALAR_SCRIPT_PATH}" integrity="${SCALAR_INTEGRITY}">`])
    // Every script with a src carries an integrity hash; the other one is only Scalar's config element.
    for (const tag of external) expect(tag).toMatch(/\sintegrity="sha384-[^"]+"/)
    expect(scripts.filter((tag) => !/\ssrc=/.test(tag))).toEqual([
      '<script id="api-reference" data-url="/openapi.json" data-configuration="{&quot;withDefaultFonts&quot;:false}">',
    ])
    // Nothing from another origin: Scalar's default fonts (fonts.scalar.com) are off.
    expect(html).not.toMatch(/https?:\/\//)
    // No inline script body anywhere (the CSP allows none).
    expect(html).toMatch(/<script id="api-reference"[^>]*><\/script>/)
    expect(html).not.toMatch(/\son[a-z]+=/)
  })

  it('sends a CSP that allows only the pinned script, no eval, no third-party origin, fetches to this origin only', async () => {
    const res = await harness().request('/docs')
    const csp = res.headers.get('Content-Security-Policy')
    expect(csp).toBe(DOCS_CSP)
    const policy = directives(csp!)
    expect(policy.get('default-src')).toEqual(["'none'"])
    expect(policy.get('script-src')).toEqual([`${ORIGIN}${SCALAR_SCRIPT_PATH}`])
    expect(policy.get('font-src')).toBeUndefined()
    for (const [name, sources] of policy) {
      for (const source of sources)
        if (/^https?:/.test(source)) expect(source, name).toMatch(/^http:\/\/localhost\//)
    }
    expect(policy.get('connect-src')).toEqual(["'self'"])
    expect(policy.get('object-src')).toEqual(["'none'"])
    expect(policy.get('base-uri')).toEqual(["'none'"])
    expect(policy.get('form-action')).toEqual(["'none'"])
    expect(policy.get('frame-ancestors')).toEqual(["'none'"])
    expect(csp).not.toContain('unsafe-eval')
    expect(csp).not.toContain('*')
    for (const name of ['script-src', 'script-src-elem', 'worker-src']) {
      for (const source of policy.get(name) ?? []) {
        expect(source, name).not.toMatch(/^(https?:|'unsafe-inline'|data:|blob:|'self')$/)
        expect(source, name).not.toMatch(/\/$/) // a path ending in / would allow the whole directory
      }
    }
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
  })

  it('answers HEAD like GET, without a body', async () => {
    const res = await harness().request('/docs', { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Security-Policy')).toBe(DOCS_CSP)
    expect(await res.text()).toBe('')
  })

  for (const value of ['true', ' TRUE ', '']) {
    it(`is on with DOCS_ENABLED=${JSON.stringify(value)}`, async () => {
      const res = await harness().request('/docs', {}, { DOCS_ENABLED: value })
      expect(res.status).toBe(200)
    })
  }

  for (const value of ['false', 'False', ' false ']) {
    it(`answers the usual 404 problem with DOCS_ENABLED=${JSON.stringify(value)}`, async () => {
      const h = harness()
      const off = { DOCS_ENABLED: value }
      const res = await h.request('/docs', {}, off)
      const body = await expectProblem(res, 404, 'not_found')
      const unknown = await expectProblem(await h.request('/nothing-here', {}, off), 404, 'not_found')
      expect(body).toEqual(unknown)
      expect(res.headers.get('Content-Security-Policy')).toBeNull()
      const head = await h.request('/docs', { method: 'HEAD' }, off)
      expect(head.status).toBe(404)
    })
  }

  for (const value of ['maybe', '1', 'yes', 'off']) {
    it(`answers 500 misconfigured naming DOCS_ENABLED (not its value) with DOCS_ENABLED=${value}`, async () => {
      const h = harness()
      for (const path of ['/docs', '/v1/user']) {
        const body = await expectProblem(
          await h.request(path, {}, { DOCS_ENABLED: value }),
          500,
          'misconfigured',
        )
        expect(body.detail).toContain('DOCS_ENABLED')
        expect(body.detail).not.toContain(value)
      }
    })
  }
})
