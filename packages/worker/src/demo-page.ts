import { Hono } from 'hono'
import { DEMO_SCRIPT } from './demo/script.ts'
import { DEMO_STYLE } from './demo/style.ts'
import type { AppEnv } from './env.ts'

/*
 * The demo page at `/`: plain HTML, one same-origin script (/demo.js) and one stylesheet (/demo.css),
 * so the page can carry a strict Content-Security-Policy with nothing inline. It signs in with the
 * session cookie only (HttpOnly, so the page's scripts never hold the session); see demo/script.ts for
 * what the script does with tokens.
 */

/**
 * The page's CSP: scripts, styles and fetches from this origin only; avatars from https (plex.tv);
 * no framing, no plugins, forms post only here.
 */
export const DEMO_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>plex-auth demo</title>
<link rel="stylesheet" href="/demo.css">
<script src="/demo.js" defer></script>
</head>
<body>
<header>
  <h1>plex-auth demo</h1>
  <p>Sign in to Plex through this worker, then try its API. The session stays in an HttpOnly cookie;
  this page never sees your Plex token. <a href="/docs">API reference</a></p>
</header>
<main>
  <noscript><p>This demo needs JavaScript.</p></noscript>
  <div id="error" role="alert" hidden></div>
  <p id="status" role="status" aria-live="polite">Loading…</p>

  <section id="signed-out" aria-labelledby="sign-in-heading" hidden>
    <h2 id="sign-in-heading">Sign in</h2>

    <section aria-labelledby="pin-heading">
      <h3 id="pin-heading">With Plex (recommended)</h3>
      <p>Opens Plex in a new tab, where you approve this app. You never type your password here.</p>
      <button id="pin-start" type="button">Sign in with Plex</button>
      <div id="pin-pending" hidden>
        <p>Waiting for your approval… If no tab opened,
        <a id="pin-link" target="_blank" rel="noopener noreferrer">open the Plex sign-in page</a>.
        Code: <strong id="pin-code"></strong></p>
        <button id="pin-cancel" type="button">Cancel</button>
      </div>
    </section>

    <section aria-labelledby="password-heading">
      <h3 id="password-heading">With a Plex password</h3>
      <form id="password-form" method="post" action="/" autocomplete="on">
        <label for="login">Email or username</label>
        <input id="login" name="login" autocomplete="username" required maxlength="256">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">
        <div id="code-field" hidden>
          <label for="verification-code">Two-factor code</label>
          <input id="verification-code" name="verificationCode" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{4,10}" aria-describedby="code-help">
          <p id="code-help" class="note">The code from your authenticator app.</p>
        </div>
        <button type="submit">Sign in</button>
      </form>
    </section>
  </section>

  <section id="signed-in" aria-labelledby="account-heading" hidden>
    <h2 id="account-heading">Account</h2>
    <div class="account">
      <img id="account-thumb" alt="" width="64" height="64" referrerpolicy="no-referrer" hidden>
      <dl>
        <dt>Username</dt><dd id="account-username"></dd>
        <dt>Email</dt><dd id="account-email"></dd>
      </dl>
    </div>
    <button id="sign-out" type="button">Sign out</button>

    <h2 id="servers-heading">Servers</h2>
    <button id="list-servers" type="button">List servers</button>
    <fieldset id="servers" hidden>
      <legend>Choose a server</legend>
      <div id="server-list"></div>
    </fieldset>
    <button id="get-transient-token" type="button" disabled>Get a transient token</button>
    <button id="get-source-connection" type="button" disabled>Get source connection information</button>

    <section id="transient-result" aria-labelledby="transient-heading" hidden>
      <h3 id="transient-heading">Transient token</h3>
      <p class="note">Short-lived and valid for this server only: shown because you asked for it.</p>
      <output id="transient-token" aria-labelledby="transient-heading"></output>
      <p>Handed out until <span id="transient-expires"></span></p>
    </section>

    <section id="connection-result" aria-labelledby="connection-heading" hidden>
      <h3 id="connection-heading">Source connection</h3>
      <dl>
        <dt>Name</dt><dd id="connection-name"></dd>
        <dt>Client identifier</dt><dd id="connection-id"></dd>
      </dl>
      <p id="connection-token-note" class="note" hidden>The answer includes an access token for this source (not shown).</p>
      <ul id="connection-list" aria-label="Connections"></ul>
    </section>
  </section>
</main>
</body>
</html>
`

/**
 * `GET /` (the page), `GET /demo.js` and `GET /demo.css`. Mount with `app.route('/', demoPage)`.
 * None of them needs configuration or KV, so they work even when the worker is misconfigured.
 */
export const demoPage = new Hono<AppEnv>()
  .get('/', (c) => c.html(PAGE, 200, { 'Content-Security-Policy': DEMO_CSP, 'Cache-Control': 'no-cache' }))
  .get('/demo.js', (c) =>
    c.body(DEMO_SCRIPT, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'no-cache',
    }),
  )
  .get('/demo.css', (c) =>
    c.body(DEMO_STYLE, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache' }),
  )
