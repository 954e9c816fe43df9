import { apiReference } from '../../package.json'
import { configFor } from '../config.ts'
import { problemResponse } from '../http/problem.ts'
import { defineRoute, type RouteDocs } from '../http/route.ts'

/*
 * The page runs Scalar's standalone build (@scalar/api-reference, dist/browser/standalone.js) served from
 * the worker's own static assets: no CDN, no third-party origin, and it works offline. The release and its
 * SRI hash are pinned in packages/worker/package.json ("apiReference"); scripts/build-demo.mjs takes that
 * file from the npm package (`npm pack`, through npm's cache), refuses it unless its sha384 matches, and
 * copies it into the assets as SCALAR_SCRIPT_PATH. The integrity attribute checks it again in the browser.
 *
 * To bump: set "version" in package.json's "apiReference", then
 *   cd "$(mktemp -d)" && npm pack @scalar/api-reference@X.Y.Z && tar xzf scalar-api-reference-X.Y.Z.tgz
 *   openssl dgst -sha384 -binary package/dist/browser/standalone.js | openssl base64 -A
 * and set "integrity"; check that the build still reads `data-url` and `data-configuration` from
 * `<script id="api-reference">` and loads nothing beyond the CSP below (grep it for `https://`, `import(`,
 * `Function(`), and open /docs with the devtools console open: no CSP violation but the one below.
 * 1.76.0 was checked that way in Chromium: the page renders and "Test Request" works. Its default fonts
 * come from fonts.scalar.com, so the page turns them off (`withDefaultFonts: false`: system fonts). One
 * violation is expected: zod probes `Function('')` to decide whether to compile validators, and falls
 * back to interpreting them when CSP refuses, so the page needs no 'unsafe-eval'.
 */

/** The exact @scalar/api-reference release /docs runs (packages/worker/package.json). */
export const SCALAR_VERSION: string = apiReference.version
/** SRI hash of that release's `dist/browser/standalone.js`, checked at build and in the browser. */
export const SCALAR_INTEGRITY: string = apiReference.integrity
/** Where the build puts that file in the static assets (versioned, so a bump is a new URL). */
export const SCALAR_SCRIPT_PATH = `/scalar-api-reference-${SCALAR_VERSION}.js`

/**
 * The page's CSP for a worker at `origin`: exactly one script (the pinned file on this origin; a source
 * with a full path matches only that file), no inline script, fetches to this origin only (the OpenAPI
 * document and "Test Request"; so features that call Scalar's servers, such as "Ask AI" or its request
 * proxy, are refused), no fonts from anywhere (system fonts), no framing, no plugins, no forms, no <base>.
 * `style-src 'unsafe-inline'` because Scalar injects its stylesheet as a <style> element and sets style
 * attributes at run time; styles cannot run script, and everything else stays locked down.
 */
export function docsCsp(origin: string): string {
  return [
    "default-src 'none'",
    `script-src ${origin}${SCALAR_SCRIPT_PATH}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

// The standalone build mounts next to <script id="api-reference"> and fetches its data-url.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>plex-auth worker API</title>
<link rel="icon" href="/favicon.svg">
</head>
<body>
<noscript><p>The API reference needs JavaScript. The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</p></noscript>
<script id="api-reference" data-url="/openapi.json" data-configuration="{&quot;withDefaultFonts&quot;:false}"></script>
<script src="${SCALAR_SCRIPT_PATH}" integrity="${SCALAR_INTEGRITY}"></script>
</body>
</html>
`

/**
 * `GET /docs`: interactive API reference (Scalar) reading /openapi.json. Off with `DOCS_ENABLED=false`,
 * then a 404 like any unknown path. Outside /v1, so it reads the configuration itself.
 */
export const docs = defineRoute(
  {
    method: 'GET',
    path: '/docs',
  },
  async (c) => {
    const config = await configFor(c.env)
    if (!config.docsEnabled) return problemResponse('not_found', 'There is nothing at this path.')
    return c.html(PAGE, 200, { 'Content-Security-Policy': docsCsp(new URL(c.req.url).origin) })
  },
)

/** OpenAPI text of `docs`: only the build-time document reads it (routes/route-docs.ts). */
export const docsDocs = (): RouteDocs => ({
  summary: 'Interactive API reference (Scalar) reading /openapi.json',
  response: { status: 200, description: 'An HTML page' },
  problems: ['not_found'],
})
