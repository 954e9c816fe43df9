// "Sign in with Plex" for an app, in a real browser: a small app on another loopback port (a Node server
// using openid-client, as a real app would) sends headless Chromium to the worker, started as
// `npm run demo` starts it with OIDC_CLIENTS set; the worker has no session yet, so its sign-in page
// signs in with the PIN flow (approved on the fake's app.plex.tv), then goes on to the app with a code.
// The app ends up holding an ID token it verified against the worker's JWKS. Someone the access policy
// refuses comes back to the app with error=access_denied.
import { createServer, type Server } from 'node:http'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import * as oidc from 'openid-client'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type DemoStack, freePort, startDemoStack } from './demo-stack.ts'

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
]
const SECRET = 'test-app-secret-0123456789-abcdefghijklmn'

let stack: DemoStack | undefined
let browser: Browser | undefined
let app: Server | undefined
let appUrl: string
/** The issuer as the browser reaches it: localhost, where Chromium keeps the `__Host-` cookie. */
let issuer: string
/** What the app verified at its callback. */
let signedIn: { claims: Record<string, unknown>; idToken: string } | undefined
/** Read through a function: the server callback sets it between the test's awaits. */
const verified = () => signedIn

/** The app's server-side fetch: the worker listens on 127.0.0.1, which `localhost` may not resolve to first. */
const toLoopback: oidc.CustomFetch = (url, options) =>
  fetch(url.replace('//localhost:', '//127.0.0.1:'), options as RequestInit)

beforeAll(async () => {
  const appPort = await freePort()
  appUrl = `http://127.0.0.1:${appPort}`
  stack = await startDemoStack('demo', (port) => ({
    OIDC_ISSUER: `http://localhost:${port}`,
    // Only people who can use alice's main server (the fake's seed): carol cannot.
    PLEX_ACCESS_SERVERS: '4d1c3e9a5b7f2e8d6c0a1b3f5e7d9c2a4b6e8f01',
    PLEX_ACCESS_OWNER_ID: '10000001',
    OIDC_CLIENTS: JSON.stringify([
      {
        client_id: 'test-app',
        client_secret: SECRET,
        redirect_uris: [`${appUrl}/callback`],
        name: 'Test app',
      },
    ]),
  }))
  issuer = stack.url.replace('//127.0.0.1:', '//localhost:')
  const config = await oidc.discovery(new URL(issuer), 'test-app', SECRET, undefined, {
    [oidc.customFetch]: toLoopback,
    execute: [oidc.allowInsecureRequests],
  })
  config[oidc.customFetch] = toLoopback
  oidc.enableNonRepudiationChecks(config)
  const pending = new Map<string, { verifier: string; nonce: string }>()
  app = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', appUrl)
    try {
      if (url.pathname === '/') {
        const verifier = oidc.randomPKCECodeVerifier()
        const nonce = oidc.randomNonce()
        const state = oidc.randomState()
        pending.set(state, { verifier, nonce })
        const to = oidc.buildAuthorizationUrl(config, {
          redirect_uri: `${appUrl}/callback`,
          scope: 'openid profile email',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
        })
        res.writeHead(302, { Location: to.href }).end()
        return
      }
      if (url.pathname === '/callback') {
        const state = url.searchParams.get('state') ?? ''
        const flow = pending.get(state)
        if (!flow) throw new Error('unknown state')
        pending.delete(state)
        const error = url.searchParams.get('error')
        if (error) {
          res.writeHead(403, { 'Content-Type': 'text/html' })
          res.end(`<!doctype html><title>App</title><h1>Refused: ${error}</h1>`)
          return
        }
        const tokens = await oidc.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: flow.verifier,
          expectedNonce: flow.nonce,
          expectedState: state,
          idTokenExpected: true,
        })
        signedIn = { claims: { ...tokens.claims() }, idToken: tokens.id_token! }
        res.writeHead(200, { 'Content-Type': 'text/html' })
        res.end(
          `<!doctype html><title>App</title><h1>Welcome, ${String(signedIn.claims.preferred_username)}</h1>`,
        )
        return
      }
      res.writeHead(404).end()
    } catch (error) {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error))
    }
  })
  await new Promise<void>((resolve) => app!.listen(appPort, '127.0.0.1', resolve))
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS })
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)))
  await stack?.stop()
})

it('an app signs in with Plex through the worker (PIN flow) and holds a verified ID token', async () => {
  const context = await browser!.newContext()
  const page = await context.newPage()
  await page.goto(`${appUrl}/`)
  // No session yet: the worker's sign-in page, carrying the app's request on.
  await page.waitForURL((url) => url.href.startsWith(`${issuer}/?oidc=`))
  const popupOpened = context.waitForEvent('page')
  await page.getByRole('button', { name: 'Sign in with Plex' }).click()
  const approval = await popupOpened
  await approval.getByLabel('Email or username').fill('alice')
  await approval.getByLabel('Password', { exact: true }).fill('alice-password')
  await approval.getByRole('button', { name: 'Allow' }).click()
  // Signed in: the page goes on to the app with a code, and the app shows who signed in.
  await page.waitForURL((url) => url.href.startsWith(`${appUrl}/callback?`), { timeout: 20_000 })
  expect(await page.locator('h1').textContent()).toBe('Welcome, alice')
  const callback = new URL(page.url())
  expect(callback.searchParams.get('iss')).toBe(issuer)
  // The app holds an ID token that verifies against the worker's published keys.
  expect(signedIn?.claims).toMatchObject({ iss: issuer, aud: 'test-app', sub: 'a11ce0000000a11c' })
  const jwks = createRemoteJWKSet(new URL(`${stack!.url}/v1/oidc/jwks`))
  const { payload } = await jwtVerify(signedIn!.idToken, jwks, {
    issuer,
    audience: 'test-app',
    algorithms: ['RS256'],
  })
  expect(payload.email).toBe('alice@example.com')
  // A second visit: the session is there, so the worker sends the browser straight back, no sign-in page.
  signedIn = undefined
  await page.goto(`${appUrl}/`)
  await page.waitForURL((url) => url.href.startsWith(`${appUrl}/callback?`))
  expect(verified()?.claims.sub).toBe('a11ce0000000a11c')
  await context.close()
}, 90_000)

it('someone the access policy refuses is sent back to the app with error=access_denied', async () => {
  const context = await browser!.newContext()
  const page = await context.newPage()
  signedIn = undefined
  await page.goto(`${appUrl}/`)
  await page.waitForURL((url) => url.href.startsWith(`${issuer}/?oidc=`))
  const popupOpened = context.waitForEvent('page')
  await page.getByRole('button', { name: 'Sign in with Plex' }).click()
  const approval = await popupOpened
  await approval.getByLabel('Email or username').fill('carol')
  await approval.getByLabel('Password', { exact: true }).fill('carol-password')
  await approval.getByRole('button', { name: 'Allow' }).click()
  await page.waitForURL((url) => url.href.startsWith(`${appUrl}/callback?`), { timeout: 20_000 })
  const callback = new URL(page.url())
  expect(callback.searchParams.get('error')).toBe('access_denied')
  expect(callback.searchParams.get('iss')).toBe(issuer)
  expect(callback.searchParams.has('code')).toBe(false)
  expect(await page.locator('h1').textContent()).toBe('Refused: access_denied')
  expect(verified()).toBeUndefined()
  await context.close()
}, 90_000)
