/**
 * The approval page at <plexTvUrl>/auth, playing app.plex.tv: it reads `#?clientID=..&code=..` from
 * location.hash exactly like app.plex.tv's URL and posts to /__fake/pins/approve. It names the fake's
 * accounts (login, password, 2FA code), since nobody arrives here knowing them.
 */
import type { SeedAccount } from './seed.ts'

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to Plex (fake)</title>
<style>
  body { font-family: system-ui, sans-serif; background: #1f1f1f; color: #eee; display: grid; place-items: center; min-height: 100vh; margin: 0; }
  main { background: #2b2b2b; padding: 2rem; border-radius: 8px; width: min(24rem, 90vw); }
  label { display: block; margin-top: 1rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; }
  button { margin-top: 1.5rem; width: 100%; padding: .6rem; background: #e5a00d; border: 0; font-weight: bold; cursor: pointer; }
  [role=alert] { margin-top: 1rem; padding: .75rem; border-radius: 4px; }
  .error { background: #5c1f1f; }
  .success { background: #1f4d2b; }
  small { color: #aaa; }
  .accounts { margin-top: 1.5rem; padding: .75rem 1rem; background: #333; border-radius: 4px; }
  .accounts ul { margin: .5rem 0 0; padding-left: 1.25rem; }
  code { font-size: .95em; }
</style>
</head>
<body>
<main>
  <h1>Sign in to Plex</h1>
  <p id="intro">Checking the link…</p>
  <form id="approve" hidden>
    <div id="code-field" hidden>
      <label for="code">Code shown by the device</label>
      <input id="code" name="code" autocomplete="off" autocapitalize="characters" maxlength="8">
    </div>
    <label for="login">Email or username</label>
    <input id="login" name="login" autocomplete="username" required>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <label for="verificationCode">Two-factor code <small>(only if your account uses it)</small></label>
    <input id="verificationCode" name="verificationCode" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}">
    <button type="submit">Allow</button>
  </form>
  <div id="message" role="alert" hidden></div>
  <!--ACCOUNTS-->
  <p><small>This is fake-plex, a local stand-in for app.plex.tv. Nothing here reaches Plex.</small></p>
</main>
<script>
(() => {
  const hash = location.hash.replace(/^#\\??/, '')
  const params = new URLSearchParams(hash)
  const clientID = params.get('clientID') || ''
  // plex.tv/link: no code in the link; the user types the short one a TV or a terminal shows.
  const linking = location.pathname === '/link'
  let code = params.get('code') || ''
  const product = params.get('context[device][product]') || 'An app'
  const forwardUrl = params.get('forwardUrl')
  const form = document.getElementById('approve')
  const intro = document.getElementById('intro')
  const message = document.getElementById('message')
  const show = (kind, text, link) => {
    message.hidden = false
    message.className = kind
    message.textContent = text
    if (link) {
      const a = document.createElement('a')
      a.href = link
      a.textContent = ' Return to ' + product
      message.append(a)
    }
  }
  if (!code && !linking) {
    intro.textContent = 'This link has no PIN code. Start the sign-in again from the app.'
    return
  }
  intro.textContent = linking ? 'Enter the code your device shows.' : product + ' wants to access your Plex account.'
  if (linking) {
    document.getElementById('code-field').hidden = false
    document.getElementById('code').required = true
  }
  form.hidden = false
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    message.hidden = true
    const data = new FormData(form)
    if (linking) code = String(data.get('code') || '').trim()
    const body = { code, clientID, login: data.get('login'), password: data.get('password') }
    if (data.get('verificationCode')) body.verificationCode = data.get('verificationCode')
    try {
      const response = await fetch('/__fake/pins/approve', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      })
      const json = await response.json().catch(() => ({}))
      if (response.ok) {
        form.hidden = true
        show('success', 'Signed in. ' + product + ' now has access to your account; you can close this window.', forwardUrl)
        return
      }
      const error = (json.errors && json.errors[0]) || {}
      const text = {
        1001: 'The email, username, password or two-factor code is wrong.',
        1020: 'This PIN code is unknown or has expired. Start the sign-in again from the app.',
        1029: 'Your account uses two-factor authentication: enter the 6-digit code.',
        1031: 'Too many failed attempts from this address. Wait a while and try again.',
      }[error.code]
      show('error', text || error.message || 'Sign-in failed (HTTP ' + response.status + ').')
      if (error.code === 1029) document.getElementById('verificationCode').focus()
    } catch (e) {
      show('error', 'Could not reach the server. Check that fake-plex is running.')
    }
  })
})()
</script>
</body>
</html>
`

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The fake's accounts, for the page: who can approve, with what. */
function accountList(accounts: readonly SeedAccount[]): string {
  if (accounts.length === 0) return ''
  const items = accounts.map((account) => {
    const code = account.verificationCode
      ? `, two-factor code <code>${escapeHtml(account.verificationCode)}</code>`
      : ''
    return `<li><strong>${escapeHtml(account.login)}</strong> / <code>${escapeHtml(account.password)}</code>${code}</li>`
  })
  return `<section class="accounts" aria-labelledby="accounts-heading"><strong id="accounts-heading">The fake's accounts</strong><ul>${items.join('')}</ul></section>`
}

/** GET /auth: the approval page, naming `accounts` (the fake's seeded accounts). */
export function authPage(accounts: readonly SeedAccount[] = []): Response {
  return new Response(PAGE.replace('<!--ACCOUNTS-->', accountList(accounts)), {
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  })
}
