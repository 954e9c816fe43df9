// The demo page in a real browser: headless Chromium (Debian's, driven by playwright-core) against the
// worker started exactly as `npm run demo` starts it. Signs in by PIN (approving on the fake's
// app.plex.tv page), signs out, signs in by password with 2FA, lists servers, gets a transient token and
// source connection information, signs out; checks the cookie flags and that no Plex token or session
// token reaches the page's cookies, storage or HTML. Then Plex Home (a wrong PIN, the right one, the switch
// back), the sessions list with a second browser signed in (ending it, then signing out everywhere), and
// a phone-sized, dark-themed visit: no sideways scrolling. Screenshots of each step go to artifacts/browser/.
//
// The page is the built demo (static assets): build it first, `node packages/worker/scripts/build-demo.mjs`.
// UPDATE_SCREENSHOTS=1 also writes the README's screenshots, docs/demo.png (light, desktop) and
// docs/demo-phone-dark.png (dark, 375 px wide); without it they go to artifacts/browser/ like the rest.
//
// To debug against a stack you started yourself: PLEX_AUTH_DEMO_URL=http://127.0.0.1:8787
// PLEX_AUTH_FAKE_URL=http://127.0.0.1:<fake port> npx vitest run --config test/vitest.config.ts browser
import { mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoStack, startDemoStack } from './demo-stack.ts'

const CHROMIUM = '/usr/bin/chromium'
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const SESSION_COOKIE = '__Host-plex_session'
/** A second browser's User-Agent, so its session has a device name of its own. */
const FIREFOX_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0'
/** The seed's long-lived tokens (packages/fake-plex/README.md), the share token included. */
const SEED_TOKENS = [
  'ALiCeT0kenFaKe9x2Qm7',
  'B0bT0kenFaKe4Yz8Wq1P',
  'CaR0lT0kenFaKe6Hn3Jd',
  'BobShareAcc3ssT0k5nX',
]
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts', 'browser')
/** Where the README's screenshots go: committed under docs/ only when asked, so CI never dirties the tree. */
const README_SHOTS =
  process.env.UPDATE_SCREENSHOTS === '1' ? join(dirname(fileURLToPath(import.meta.url)), '..', 'docs') : SHOTS
/** The page's CSP, as packages/worker/scripts/build-demo.mjs writes it into `_headers`. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

let stack: DemoStack | undefined
let browser: Browser | undefined
let context: BrowserContext
let page: Page
/** Where the page is opened: http://localhost:<port>, where Chromium keeps `Secure` (`__Host-`) cookies. */
let pageUrl: string
/** The worker on 127.0.0.1, for requests from Node. */
let workerUrl: string
let fakeUrl: string
/** Every body the worker sent to the page: what the page's JavaScript could read. */
const bodies: { url: string; body: string }[] = []
/** Session tokens seen in the cookie jar (one per sign-in). */
const sessionTokens = new Set<string>()
let shot = 0
/** Uncaught errors and console errors of the demo page (a CSP violation shows up here). */
const problems: string[] = []

beforeAll(async () => {
  workerUrl = process.env.PLEX_AUTH_DEMO_URL ?? ''
  fakeUrl = process.env.PLEX_AUTH_FAKE_URL ?? ''
  if (!workerUrl || !fakeUrl) {
    stack = await startDemoStack()
    workerUrl = stack.url
    fakeUrl = stack.plexTvUrl
  }
  pageUrl = workerUrl.replace('//127.0.0.1:', '//localhost:')
  rmSync(SHOTS, { recursive: true, force: true })
  mkdirSync(SHOTS, { recursive: true })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  context = await browser.newContext({ viewport: { width: 1000, height: 900 }, colorScheme: 'light' })
  page = await context.newPage()
  watchProblems(page)
  page.on('response', async (response) => {
    if (!response.url().startsWith(pageUrl)) return
    try {
      bodies.push({ url: response.url(), body: await response.text() })
    } catch {
      // redirects and aborted loads have no body
    }
  })
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

async function screenshot(name: string, target: Page = page): Promise<void> {
  shot += 1
  await target.screenshot({
    path: join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`),
    fullPage: true,
  })
}

const status = (target: Page = page) => target.getByRole('status')
const alert = () => page.locator('#error')

/** Reports uncaught errors and console errors of a page (a CSP violation shows up here). */
function watchProblems(target: Page): void {
  target.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`))
  target.on('console', (message) => {
    // The avatar lives on plex.tv, which this offline machine cannot reach: that load may fail.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text()))
      problems.push(`console: ${message.text()}`)
  })
}

/** The page scrolls sideways if its content is wider than the viewport. */
async function expectNoSidewaysScroll(target: Page): Promise<void> {
  const widths = await target.evaluate(() => ({
    content: document.documentElement.scrollWidth,
    viewport: document.documentElement.clientWidth,
  }))
  expect(widths.content, 'content width vs viewport width').toBeLessThanOrEqual(widths.viewport)
}

/** The page's background colour, to tell the light theme from the dark one. */
const background = (target: Page) => target.evaluate(() => getComputedStyle(document.body).backgroundColor)

async function sessionCookie() {
  return (await context.cookies(pageUrl)).find((cookie) => cookie.name === SESSION_COOKIE)
}

/** The cookie is HttpOnly, Secure, SameSite=Lax, host-only on `/`; remembers its token for the leak checks. */
async function expectSessionCookie(): Promise<void> {
  const cookie = await sessionCookie()
  expect(cookie, 'session cookie').toBeDefined()
  expect(cookie).toMatchObject({
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    path: '/',
    domain: 'localhost',
  })
  expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{43}$/)
  sessionTokens.add(cookie!.value)
}

/** Every Plex token the fake saw or issued: the seed's, and each X-Plex-Token the worker sent upstream. */
async function plexTokens(): Promise<string[]> {
  const res = await fetch(`${fakeUrl}/__fake/requests`)
  expect(res.ok).toBe(true)
  const requests = (await res.json()) as { url: string; headers: Record<string, string> }[]
  const tokens = new Set(SEED_TOKENS)
  for (const request of requests) {
    const token = request.headers['x-plex-token'] ?? new URL(request.url).searchParams.get('X-Plex-Token')
    if (token) tokens.add(token)
  }
  return [...tokens]
}

/**
 * No Plex token and no session token in document.cookie, localStorage, sessionStorage or the HTML.
 * The transient token the user asked for is the one token allowed in the HTML (it is a Plex token of
 * sorts, short-lived and for one server). No Plex token in anything the worker sent the page at all.
 */
async function expectNoTokensInPage(allowedInHtml: string[] = []): Promise<void> {
  const plex = await plexTokens()
  expect(plex.length).toBeGreaterThan(SEED_TOKENS.length) // the worker's own tokens were found
  const secrets = [...plex, ...sessionTokens]
  const seen = await page.evaluate(() => ({
    cookie: document.cookie,
    local: JSON.stringify(Object.entries(localStorage)),
    session: JSON.stringify(Object.entries(sessionStorage)),
    html: document.documentElement.outerHTML,
  }))
  expect(seen.cookie).not.toContain(SESSION_COOKIE)
  expect(seen.local).toBe('[]')
  expect(seen.session).toBe('[]')
  for (const secret of secrets) {
    expect(seen.cookie.includes(secret), 'a token in document.cookie').toBe(false)
    if (!allowedInHtml.includes(secret)) expect(seen.html.includes(secret), 'a token in the HTML').toBe(false)
  }
  for (const { url, body } of bodies) {
    for (const token of plex) {
      if (token.startsWith('transient-')) continue
      expect(body.includes(token), `a Plex token in the answer of ${url}`).toBe(false)
    }
  }
}

/** Rejects with the page's error text once the alert shows (so a failing step says why, at once). */
async function failedWith(box: ReturnType<Page['locator']>): Promise<never> {
  await box.waitFor({ state: 'visible' })
  throw new Error(`the page shows an error: ${await box.textContent()}`)
}

async function signOut(): Promise<void> {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click()
  await expect.poll(() => status().textContent()).toBe('Signed out.')
  await expect.poll(sessionCookie).toBeUndefined()
  await expect(page.getByRole('button', { name: 'Sign in with Plex' }).isVisible()).resolves.toBe(true)
}

async function signInWithPassword(login: string, password: string): Promise<void> {
  await page.getByLabel('Email or username').fill(login)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
}

describe('demo page in Chromium', () => {
  it('PIN, then password with 2FA, servers, transient token, source connection, sign-out', async () => {
    const response = await page.goto(`${pageUrl}/`)
    expect(
      response?.status(),
      'GET / (was the demo built? node packages/worker/scripts/build-demo.mjs)',
    ).toBe(200)
    // Served as a static asset, with the headers of the built `_headers` file.
    expect(response?.headers()).toMatchObject({
      'content-type': expect.stringMatching(/^text\/html/),
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    })
    await expect.poll(() => status().textContent()).toBe('Not signed in.')
    expect(await background(page)).toBe('rgb(245, 246, 248)') // the light theme
    // On loopback (`npm run demo`) the page names the fake's accounts.
    expect(await page.locator('#demo-accounts').textContent()).toMatch(
      /alice.*alice-password.*bob.*bob-password.*123456/s,
    )
    await screenshot('signed-out')

    // 1. Sign in with Plex: a popup opens inside the click, then goes to the fake app.plex.tv; alice
    // approves there.
    const popupOpened = context.waitForEvent('page')
    await page.getByRole('button', { name: 'Sign in with Plex' }).click()
    const approval = await Promise.race([popupOpened, failedWith(alert())])
    await approval.waitForURL((url) => url.href.startsWith(`${fakeUrl}/auth#?`))
    // The popup has no handle on the demo page (its opener was dropped while it was still about:blank).
    expect(await approval.evaluate(() => window.opener === null)).toBe(true)
    await expect.poll(() => page.locator('#pin-pending').isVisible()).toBe(true)
    // One instruction on the card, no 25-character code nobody types; the status line says what happened.
    expect(await page.locator('#pin-pending').textContent()).not.toContain('Code')
    expect(await status().textContent()).toBe('Plex sign-in opened in a new window.')
    await screenshot('pin-waiting')
    await approval.getByLabel('Email or username').fill('alice')
    await approval.getByLabel('Password', { exact: true }).fill('alice-password')
    await approval.getByRole('button', { name: 'Allow' }).click()
    await expect.poll(() => approval.getByRole('alert').textContent()).toMatch(/^Signed in\./)
    await screenshot('pin-approved', approval)
    await expect
      .poll(() => page.locator('#account-username').textContent(), { timeout: 20_000 })
      .toBe('alice')
    await approval.close()
    expect(await page.locator('#account-email').textContent()).toBe('alice@example.com')
    await expect
      .poll(() => page.locator('#account-access').textContent())
      .toBe("Owner of Alice's Plex, Cabin")
    await screenshot('pin-signed-in')
    await expectSessionCookie()
    await expectNoTokensInPage()

    await signOut()
    await screenshot('signed-out-after-pin')

    // 2. Password as bob: the worker asks for the 2FA code, the page shows the field and the reason, as
    // an expected step (the status line), not a red alert. A wrong code is an error that says so.
    await signInWithPassword('bob', 'bob-password')
    await expect.poll(() => status().textContent()).toMatch(/two-factor authentication: enter the code/)
    expect(await alert().isVisible()).toBe(false)
    const codeField = page.getByLabel('Two-factor code')
    await expect(codeField.isVisible()).resolves.toBe(true)
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('verification-code')
    await screenshot('2fa-asked')
    await codeField.fill('000000')
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await expect.poll(() => alert().textContent()).toMatch(/Plex did not accept this 2FA code/)
    await screenshot('2fa-wrong-code')
    await codeField.fill('123456')
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await expect.poll(() => page.locator('#account-username').textContent()).toBe('bob')
    expect(await alert().isVisible()).toBe(false)
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('') // the form was cleared
    // Keyboard and screen reader users land on the account, not on the vanished form.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('account-heading')
    await screenshot('password-signed-in')
    await expectSessionCookie()

    // 3. Servers: bob has shared access to Alice's Plex. While the answer is on its way, the button is
    // disabled and marked busy.
    let release = (): void => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    await page.route(
      '**/v1/servers',
      async (route) => {
        await held
        await route.continue()
      },
      { times: 1 },
    )
    const listServers = page.getByRole('button', { name: 'List servers' })
    await listServers.click()
    await expect.poll(() => listServers.getAttribute('aria-busy')).toBe('true')
    expect(await listServers.isDisabled()).toBe(true)
    release()
    const aliceServer = page.getByLabel(/^Alice's Plex Shared with you/)
    await expect.poll(() => aliceServer.isChecked()).toBe(true)
    await screenshot('servers')

    // 4. A transient token for it, shown because it was asked for.
    await page.getByRole('button', { name: 'Get a transient token' }).click()
    await expect.poll(() => page.locator('#transient-token').textContent()).toMatch(/^transient-/)
    const transient = (await page.locator('#transient-token').textContent())!
    await screenshot('transient-token')

    // 5. Source connection: a shared user is refused by the server, and the page says so in words.
    await page.getByRole('button', { name: 'Get source connection information' }).click()
    await expect.poll(() => alert().textContent()).toMatch(/^Forbidden\. Plex refused this request/)
    await screenshot('source-connection-forbidden')
    await expectNoTokensInPage([transient])

    await signOut()

    // 6. The owner gets the source connection information.
    await signInWithPassword('alice', 'alice-password')
    await expect.poll(() => page.locator('#account-username').textContent()).toBe('alice')
    await expectSessionCookie()
    await page.getByRole('button', { name: 'List servers' }).click()
    await expect.poll(() => page.getByLabel(/^Alice's Plex Owned by you/).isChecked()).toBe(true)
    await page.getByRole('button', { name: 'Get source connection information' }).click()
    await expect.poll(() => page.locator('#connection-id').textContent()).toMatch(/^[0-9a-f]{40}$/)
    expect(await page.locator('#connection-list li').count()).toBeGreaterThan(0)
    expect(await listServers.isDisabled()).toBe(false)
    await screenshot('source-connection')
    // The README's picture shows the Home picker and the sessions list open too.
    await page.getByRole('button', { name: 'Show Home users' }).click()
    await expect.poll(() => status().textContent()).toBe('This Plex Home has 3 users.')
    await page.getByRole('button', { name: 'Show sessions' }).click()
    await expect.poll(() => status().textContent()).toBe('1 session signed in.')
    await page.mouse.move(0, 0) // no hover effect in the README's picture
    await page.screenshot({ path: join(README_SHOTS, 'demo.png'), fullPage: true })
    await expectNoTokensInPage()

    await signOut()
    await screenshot('signed-out-at-end')
    await expectNoTokensInPage()
    expect(problems).toEqual([])
  }, 120_000)

  // goauthentik/authentik#24613, sct/overseerr#1848: iOS Safari and Firefox block popups; the page then goes
  // to app.plex.tv itself and finishes the sign-in when Plex sends it back (forwardUrl).
  it('a blocked popup: the page goes to Plex itself, comes back, and is signed in', async () => {
    const blocked = await browser!.newContext()
    await blocked.addInitScript(() => {
      window.open = () => null
    })
    const tab = await blocked.newPage()
    try {
      await tab.goto(`${pageUrl}/`)
      await expect.poll(() => tab.locator('#status').textContent()).toBe('Not signed in.')
      await tab.getByRole('button', { name: 'Sign in with Plex' }).click()
      await tab.waitForURL((url) => url.href.startsWith(`${fakeUrl}/auth#?`))
      expect(new URLSearchParams(new URL(tab.url()).hash.slice(2)).get('forwardUrl')).toBe(`${pageUrl}/`)
      await tab.getByLabel('Email or username').fill('bob')
      await tab.getByLabel('Password', { exact: true }).fill('bob-password')
      await tab.getByLabel(/Two-factor code/).fill('123456')
      await tab.getByRole('button', { name: 'Allow' }).click()
      await tab.getByRole('link', { name: /Return to/ }).click()
      await tab.waitForURL(`${pageUrl}/`)
      await expect.poll(() => tab.locator('#account-username').textContent(), { timeout: 20_000 }).toBe('bob')
      await expect
        .poll(() => tab.locator('#account-access').textContent())
        .toBe("Friend: Alice's Plex shared with you")
      // The pending PIN was taken out of sessionStorage as soon as the page was back.
      expect(await tab.evaluate(() => sessionStorage.length)).toBe(0)
    } finally {
      await blocked.close()
    }
  })

  it('Plex Home: a wrong PIN reads as such, the right one switches to Kids, and back without a PIN', async () => {
    await page.goto(`${pageUrl}/`)
    await expect.poll(() => status().textContent()).toBe('Not signed in.')
    await signInWithPassword('alice', 'alice-password')
    await expect.poll(() => page.locator('#account-username').textContent()).toBe('alice')
    await expectSessionCookie()
    await page.getByRole('button', { name: 'Show Home users' }).click()
    await expect.poll(() => status().textContent()).toBe('This Plex Home has 3 users.')
    expect(await page.getByLabel(/^Alice Admin/).isDisabled()).toBe(true) // the user signed in now
    const pin = page.getByLabel('PIN of Kids')

    // Kids is protected: picking it shows the PIN field; Dana is not.
    const pick = (name: string) => page.locator('#home-list label', { hasText: name }).click()
    await pick('Dana')
    expect(await page.locator('#home-pin-field').isVisible()).toBe(false)
    await pick('Kids')
    expect(await page.getByLabel(/^Kids Managed user · restricted · needs a PIN$/).isChecked()).toBe(true)
    await expect(pin.isVisible()).resolves.toBe(true)
    await pin.fill('9999')
    await page.getByRole('button', { name: 'Switch to Kids' }).click()
    await expect
      .poll(() => alert().textContent())
      .toBe('Home PIN required. This Home user needs its PIN: it was missing or wrong.')
    expect(await pin.getAttribute('aria-invalid')).toBe('true')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('home-pin')
    expect(await page.locator('#account-username').textContent()).toBe('alice') // still alice
    await screenshot('home-wrong-pin')

    await pin.fill('1234')
    const before = await sessionCookie()
    await page.getByRole('button', { name: 'Switch to Kids' }).click()
    await expect.poll(() => status().textContent()).toBe('Switched to Kids.')
    expect(await page.locator('#account-username').textContent()).toBe('Kids')
    expect(await page.locator('#account-email').textContent()).toBe('None (a managed Home user)')
    expect(await alert().isVisible()).toBe(false)
    // A new session, in a new cookie; the old session token no longer works.
    await expectSessionCookie()
    expect((await sessionCookie())!.value).not.toBe(before!.value)
    const old = await fetch(`${workerUrl}/v1/user`, { headers: { Authorization: `Bearer ${before!.value}` } })
    expect(old.status).toBe(401)
    await old.body?.cancel()
    expect(await page.getByLabel(/^Kids Managed user/).isDisabled()).toBe(true)
    await screenshot('home-switched-to-kids')

    // Back to alice: no PIN field, the worker kept alice's session for it.
    await pick('Alice')
    expect(await page.locator('#home-pin-field').isVisible()).toBe(false)
    await page.getByRole('button', { name: /^Switch (back )?to Alice$/ }).click()
    await expect.poll(() => status().textContent()).toBe('Switched to Alice.')
    expect(await page.locator('#account-username').textContent()).toBe('alice')
    await expectSessionCookie()
    await expectNoTokensInPage()
    await signOut()
    expect(problems).toEqual([])
  }, 60_000)

  it('Your sessions: two sign-ins listed, the other one ended, then sign out everywhere', async () => {
    const devices = async (): Promise<{ clientIdentifier: string; name: string }[]> => {
      const res = await fetch(`${fakeUrl}/__fake/devices?login=alice`)
      return ((await res.json()) as { devices: { clientIdentifier: string; name: string }[] }).devices
    }
    await page.goto(`${pageUrl}/`)
    await expect.poll(() => status().textContent()).toBe('Not signed in.')
    await signInWithPassword('alice', 'alice-password')
    await expect.poll(() => page.locator('#account-username').textContent()).toBe('alice')
    await expectSessionCookie()

    // A second browser with a cookie jar of its own (another device), also signed in as alice.
    const other = await browser!.newContext({ userAgent: FIREFOX_MAC, colorScheme: 'light' })
    try {
      const away = await other.newPage()
      watchProblems(away)
      const signInAway = async (): Promise<void> => {
        await away.goto(`${pageUrl}/`)
        await expect.poll(() => status(away).textContent()).toBe('Not signed in.')
        await away.getByLabel('Email or username').fill('alice')
        await away.getByLabel('Password', { exact: true }).fill('alice-password')
        await away.getByRole('button', { name: 'Sign in', exact: true }).click()
        await expect.poll(() => away.locator('#account-username').textContent()).toBe('alice')
      }
      await signInAway()

      await page.getByRole('button', { name: 'Show sessions' }).click()
      await expect.poll(() => status().textContent()).toBe('2 sessions signed in.')
      const rows = page.locator('#session-list li')
      expect(await rows.count()).toBe(2)
      const here = rows.filter({ hasText: 'This device' })
      expect(await here.count()).toBe(1)
      expect(await here.textContent()).toMatch(/Password · signed in .+ · last used .+End$/)
      const awayRow = rows.filter({ hasText: 'Firefox on macOS' })
      expect(await awayRow.textContent()).not.toContain('This device')
      await screenshot('sessions')

      // End the other one: it is gone from the list, and the other browser is signed out.
      const before = (await devices()).length
      await awayRow.getByRole('button', { name: /^End session: Firefox on macOS, signed in / }).click()
      await expect.poll(() => status().textContent()).toBe('Ended the session on Firefox on macOS.')
      expect(await rows.count()).toBe(1)
      expect(await rows.first().textContent()).toContain('This device')
      expect((await devices()).length).toBe(before - 1) // its Plex device was revoked
      await away.reload()
      await expect.poll(() => status(away).textContent()).toBe('Not signed in.')
      await screenshot('sessions-ended-other')

      // Sign out everywhere (after confirming): this browser and the other one, both devices revoked.
      await signInAway()
      const signedIn = (await devices()).length
      page.once('dialog', (dialog) => void dialog.accept())
      await page.getByRole('button', { name: 'Sign out everywhere' }).click()
      await expect.poll(() => status().textContent()).toBe('Signed out everywhere.')
      await expect.poll(sessionCookie).toBeUndefined()
      expect((await devices()).length).toBe(signedIn - 2)
      await away.reload()
      await expect.poll(() => status(away).textContent()).toBe('Not signed in.')
      await expectNoTokensInPage()
      expect(problems).toEqual([])
    } finally {
      await other.close()
    }
  }, 60_000)

  it('leaves /v1/*, /docs and unknown paths to the worker; /openapi.json is a built asset', async () => {
    const health = await fetch(`${workerUrl}/v1/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    const openapi = await fetch(`${workerUrl}/openapi.json`)
    expect(openapi.status).toBe(200)
    expect(openapi.headers.get('content-type')).toMatch(/^application\/json/)
    const document = (await openapi.json()) as { openapi: string; paths: Record<string, unknown> }
    expect(document.openapi).toMatch(/^3\.1/)
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/access', '/v1/forward-auth']))
    const docs = await fetch(`${workerUrl}/docs`)
    expect(docs.status).toBe(200)
    expect(await docs.text()).not.toContain('plex-auth demo')
    // Not the page: an unknown path is the worker's 404 problem.
    const unknown = await fetch(`${workerUrl}/nope`)
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    await unknown.body?.cancel()
  })

  it('/docs renders the API reference from the worker itself: no request leaves its origin', async () => {
    const docsContext = await browser!.newContext()
    const docsPage = await docsContext.newPage()
    const elsewhere: string[] = []
    const errors: string[] = []
    docsPage.on('request', (request) => {
      if (!request.url().startsWith(`${pageUrl}/`) && !request.url().startsWith('data:'))
        elsewhere.push(request.url())
    })
    docsPage.on('pageerror', (error) => errors.push(error.message))
    docsPage.on('response', (response) => {
      if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`)
    })
    docsPage.on('console', (message) => {
      // Expected (see src/routes/docs.ts): zod probes `Function('')`, CSP refuses, zod interprets instead.
      // A failed load is reported with its URL by the response handler above.
      const text = message.text()
      if (message.type() === 'error' && !/unsafe-eval|EvalError|Failed to load resource/.test(text))
        errors.push(text)
    })
    try {
      await docsPage.goto(`${pageUrl}/docs`)
      // Scalar has read /openapi.json and rendered its operations.
      await docsPage.getByText('The worker runs and is configured').first().waitFor({ timeout: 30_000 })
      await screenshot('docs', docsPage)
      expect(elsewhere).toEqual([])
      expect(errors).toEqual([])
    } finally {
      await docsContext.close()
    }
  }, 60_000)

  it('fits a phone, in the dark theme', async () => {
    const phone = await browser!.newContext({
      viewport: { width: 375, height: 812 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: 'dark',
    })
    try {
      const small = await phone.newPage()
      watchProblems(small)
      await small.goto(`${pageUrl}/`)
      await expect.poll(() => status(small).textContent()).toBe('Not signed in.')
      expect(await background(small)).toBe('rgb(14, 17, 22)') // the dark theme
      await expectNoSidewaysScroll(small)
      await small.screenshot({ path: join(README_SHOTS, 'demo-phone-dark.png'), fullPage: true })

      // Signed in, with the widest content the page has: server rows and connection addresses.
      await small.getByLabel('Email or username').fill('alice')
      await small.getByLabel('Password', { exact: true }).fill('alice-password')
      await small.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect.poll(() => small.locator('#account-username').textContent()).toBe('alice')
      await small.getByRole('button', { name: 'List servers' }).click()
      await expect.poll(() => small.getByLabel(/^Alice's Plex Owned by you/).isChecked()).toBe(true)
      await small.getByRole('button', { name: 'Get source connection information' }).click()
      await expect.poll(() => small.locator('#connection-list li').count()).toBeGreaterThan(0)
      await small.getByRole('button', { name: 'Show Home users' }).click()
      await expect.poll(() => status(small).textContent()).toBe('This Plex Home has 3 users.')
      await small.locator('#home-list label', { hasText: 'Kids' }).click()
      await expect(small.getByLabel('PIN of Kids').isVisible()).resolves.toBe(true)
      await small.getByRole('button', { name: 'Show sessions' }).click()
      await expect.poll(() => small.locator('#session-list li').count()).toBeGreaterThan(0)
      await expectNoSidewaysScroll(small)
      await screenshot('phone-dark-signed-in', small)
      await small.getByRole('button', { name: 'Sign out', exact: true }).click()
      await expect.poll(() => status(small).textContent()).toBe('Signed out.')
      expect(problems).toEqual([])
    } finally {
      await phone.close()
    }
  }, 60_000)
})
