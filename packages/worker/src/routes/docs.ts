import { configFor } from '../config.ts'
import { problemResponse } from '../problem.ts'
import { defineRoute } from '../route.ts'

/*
 * The page loads Scalar's standalone build (@scalar/api-reference) from jsDelivr at an exact version with
 * Subresource Integrity, so the CDN cannot swap the code that runs on the API's origin: a changed file
 * fails the integrity check and never runs. The package is not a dependency; jsDelivr serves the npm
 * tarball's files byte for byte, so the hash is computed from the tarball.
 *
 * To bump (the CDN need not be reachable, the npm registry must be):
 *   npm view @scalar/api-reference version
 *   cd "$(mktemp -d)" && npm pack @scalar/api-reference@X.Y.Z && tar xzf scalar-api-reference-X.Y.Z.tgz
 *   openssl dgst -sha384 -binary package/dist/browser/standalone.js | openssl base64 -A
 * then set both constants below, check that the standalone build still reads `data-url` from
 * `<script id="api-reference">` (grep package/dist/browser/standalone.js for `data-url`) and still loads
 * nothing beyond DOCS_CSP (grep it for `https://`, `import(`, `Function(`), and open /docs in a browser
 * with the devtools console open: no CSP violation but the one below, no integrity error.
 * 1.76.0 was checked that way (in Chromium, the CDN answered from the tarball): the page renders and
 * "Test Request" works; its only outside loads are fonts from fonts.scalar.com. One violation is
 * expected: zod probes `Function('')` to decide whether to compile validators, and falls back to
 * interpreting them when CSP refuses, so the page needs no 'unsafe-eval'.
 */

/** The exact @scalar/api-reference release /docs loads. */
export const SCALAR_VERSION = '1.76.0'
/** SRI hash of that release's `dist/browser/standalone.js` (see above for how to recompute it). */
export const SCALAR_INTEGRITY = 'sha384-oH1C0RwqcwbVXkC+r8A+4qRoyEUQdtxAzOwumkxZtQBBcsy61FOoPt7B50OVJYYQ'
export const SCALAR_SCRIPT_URL = `https://cdn.jsdelivr.net/npm/@scalar/api-reference@${SCALAR_VERSION}/dist/browser/standalone.js`

/**
 * The page's CSP: exactly one script (the pinned URL; a CSP source with a full path matches only that
 * file), no inline script, fetches to this origin only (the OpenAPI document and "Test Request"; so
 * features that call Scalar's servers, such as "Ask AI" or its request proxy, are refused), Scalar's
 * fonts from its font host, no framing, no plugins, no forms, no <base>.
 * `style-src 'unsafe-inline'` because Scalar injects its stylesheet as a <style> element and sets style
 * attributes at run time; styles cannot run script, and everything else stays locked down.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  `script-src ${SCALAR_SCRIPT_URL}`,
  "style-src 'unsafe-inline'",
  'font-src https://fonts.scalar.com',
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

// The standalone build mounts next to <script id="api-reference"> and fetches its data-url.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>plex-auth worker API</title>
</head>
<body>
<noscript><p>The API reference needs JavaScript. The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</p></noscript>
<script id="api-reference" data-url="/openapi.json"></script>
<script src="${SCALAR_SCRIPT_URL}" integrity="${SCALAR_INTEGRITY}" crossorigin="anonymous"></script>
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
    summary: 'Interactive API reference (Scalar) reading /openapi.json',
    response: { status: 200, description: 'An HTML page' },
    problems: ['not_found'],
  },
  async (c) => {
    const config = await configFor(c.env)
    if (!config.docsEnabled) return problemResponse('not_found', 'There is nothing at this path.')
    return c.html(PAGE, 200, { 'Content-Security-Policy': DOCS_CSP })
  },
)
