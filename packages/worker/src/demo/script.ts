/**
 * The demo page's script, served as /demo.js (same origin, so a strict CSP with `script-src 'self'`
 * holds). Hand-written browser JavaScript, no build step: it mirrors what `@plex-auth/worker/client`
 * does with the cookie session (credentials, problem+json errors, PIN polling with backoff).
 *
 * Token rules it follows:
 * - The session lives in the HttpOnly `__Host-plex_session` cookie only. Sign-in answers also carry
 *   `session.token` (for bearer clients); the script drops it at once and keeps only `user`.
 * - The Plex token never leaves the worker; the PIN's `pollToken` stays in a local variable.
 * - The only token put in the DOM is a transient token, and only when the user asks for one: it is
 *   short-lived, valid for one server, and is exactly what a frontend needs to talk to that server.
 * - Nothing is written to localStorage, sessionStorage or document.cookie.
 * - Source connection answers can carry an `accessToken`; it is never shown.
 *
 * Written without backticks or dollar-brace so it can live in this template literal untouched.
 */
export const DEMO_SCRIPT = `'use strict'
;(() => {
  const $ = (id) => document.getElementById(id)
  const errorBox = $('error')
  const statusBox = $('status')
  const signedOut = $('signed-out')
  const signedIn = $('signed-in')
  const passwordForm = $('password-form')
  const codeField = $('code-field')
  const codeInput = $('verification-code')
  const pinStart = $('pin-start')
  const pinPending = $('pin-pending')
  const pinLink = $('pin-link')
  const pinCode = $('pin-code')
  const pinCancel = $('pin-cancel')
  const serverFieldset = $('servers')
  const serverList = $('server-list')
  const transientButton = $('get-transient-token')
  const connectionButton = $('get-source-connection')
  const transientResult = $('transient-result')
  const connectionResult = $('connection-result')
  let pinController = null
  // An avatar that cannot load (plex.tv unreachable, as with the offline fake) is hidden, not shown broken.
  $('account-thumb').addEventListener('error', (event) => {
    event.currentTarget.hidden = true
  })

  /** A failed call, with the problem+json fields. */
  class Problem extends Error {
    constructor(fields) {
      super(fields.title + ': ' + fields.detail)
      Object.assign(this, fields)
    }
  }

  /** Calls the worker with the session cookie; resolves with the JSON body, rejects with a Problem. */
  async function api(method, path, body, extraHeaders) {
    const headers = { Accept: 'application/json, application/problem+json' }
    const init = { method, headers, credentials: 'same-origin' }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    Object.assign(headers, extraHeaders || {})
    let res
    try {
      res = await fetch(path, init)
    } catch (e) {
      throw new Problem({ title: 'Network error', detail: 'The worker could not be reached; check the connection.', status: 0, code: 'network_error' })
    }
    if (res.status === 204) return undefined
    let json = null
    try {
      json = await res.json()
    } catch (e) {}
    if (!res.ok) {
      if (json && typeof json.title === 'string' && typeof json.detail === 'string') {
        const retryAfter = Number(res.headers.get('Retry-After'))
        throw new Problem({
          title: json.title,
          detail: json.detail,
          status: res.status,
          code: json.code,
          issues: Array.isArray(json.issues) ? json.issues : undefined,
          retryAfter: retryAfter > 0 ? retryAfter : undefined,
        })
      }
      throw new Problem({ title: 'Unexpected answer', detail: 'The worker answered HTTP ' + res.status + ' without an explanation.', status: res.status, code: 'invalid_response' })
    }
    if (!json || typeof json !== 'object') {
      throw new Problem({ title: 'Unexpected answer', detail: 'The worker did not answer with JSON.', status: res.status, code: 'invalid_response' })
    }
    return json
  }

  function showError(error) {
    errorBox.replaceChildren()
    const title = document.createElement('strong')
    const detail = document.createElement('span')
    if (error instanceof Problem) {
      title.textContent = error.title + '. '
      detail.textContent = error.detail + (error.retryAfter ? ' Try again in ' + error.retryAfter + ' s.' : '')
    } else {
      title.textContent = 'Something went wrong. '
      detail.textContent = String((error && error.message) || error)
    }
    errorBox.append(title, detail)
    if (error && Array.isArray(error.issues) && error.issues.length) {
      const list = document.createElement('ul')
      for (const issue of error.issues) {
        const item = document.createElement('li')
        item.textContent = (issue.path || 'request') + ': ' + issue.message
        list.append(item)
      }
      errorBox.append(list)
    }
    errorBox.hidden = false
  }

  function clearError() {
    errorBox.hidden = true
    errorBox.replaceChildren()
  }

  function say(text) {
    statusBox.textContent = text
  }

  /** Runs an action with its button disabled; shows any error; a lost session returns to sign-in. */
  async function run(button, action) {
    clearError()
    say('')
    if (button) button.disabled = true
    try {
      await action()
    } catch (error) {
      if (error && error.name === 'AbortError') return
      showError(error)
      if (error && (error.code === 'unauthenticated' || error.code === 'plex_token_rejected')) showSignedOut()
    } finally {
      if (button) button.disabled = false
      if (button === transientButton || button === connectionButton) updateServerButtons()
    }
  }

  function showAccount(user) {
    $('account-username').textContent = user.username || user.title || ''
    $('account-email').textContent = user.email || ''
    const thumb = $('account-thumb')
    if (typeof user.thumb === 'string' && /^https:\\/\\//.test(user.thumb)) {
      thumb.alt = 'Avatar of ' + (user.username || 'this account')
      thumb.src = user.thumb
      thumb.hidden = false
    } else {
      thumb.hidden = true
      thumb.removeAttribute('src')
    }
    signedOut.hidden = true
    signedIn.hidden = false
    say('Signed in as ' + (user.username || user.email) + '.')
  }

  function showSignedOut() {
    if (pinController) pinController.abort()
    signedIn.hidden = true
    signedOut.hidden = false
    pinPending.hidden = true
    serverFieldset.hidden = true
    serverList.replaceChildren()
    transientResult.hidden = true
    $('transient-token').textContent = ''
    connectionResult.hidden = true
    $('connection-list').replaceChildren()
    updateServerButtons()
    $('account-thumb').removeAttribute('src')
  }

  /** After a sign-in: keep the account, drop the session token the body carries (the cookie has it). */
  function signedInWith(answer) {
    showAccount(answer.user)
  }

  // ---- PIN sign-in ----

  const sleep = (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      const timer = setTimeout(resolve, ms)
      signal.addEventListener('abort', () => {
        clearTimeout(timer)
        reject(signal.reason)
      }, { once: true })
    })

  /** Polls with backoff (1 s, growing by half, at most 5 s) until authorized; waits out 429s; gives up after 3 upstream failures in a row. */
  async function waitForPin(pin, signal) {
    let delay = 1000
    let failures = 0
    for (;;) {
      await sleep(delay, signal)
      delay = Math.min(Math.round(delay * 1.5), 5000)
      let answer
      try {
        answer = await api('GET', '/v1/pins/' + encodeURIComponent(pin.id), undefined, { 'X-Poll-Token': pin.pollToken })
        failures = 0
      } catch (error) {
        if (signal.aborted) throw signal.reason
        if (error.code === 'rate_limited') {
          delay = Math.max(delay, (error.retryAfter || 1) * 1000)
          continue
        }
        if ((error.code === 'network_error' || error.status >= 502) && ++failures <= 3) continue
        throw error
      }
      if (answer.status === 'authorized') return answer
    }
  }

  pinStart.addEventListener('click', () =>
    run(pinStart, async () => {
      if (pinController) pinController.abort()
      const controller = new AbortController()
      pinController = controller
      const pin = await api('POST', '/v1/pins', {})
      if (!/^https?:\\/\\//.test(pin.authUrl)) throw new Problem({ title: 'Unexpected answer', detail: 'The sign-in link is not a web address.', status: 0, code: 'invalid_response' })
      pinLink.href = pin.authUrl
      pinCode.textContent = pin.code
      pinPending.hidden = false
      // noopener: Plex's page gets no handle on this one (window.open then returns null, so a link is shown too).
      window.open(pin.authUrl, '_blank', 'noopener')
      say('Waiting for you to approve the sign-in in the Plex tab.')
      try {
        signedInWith(await waitForPin(pin, controller.signal))
      } finally {
        pinPending.hidden = true
        if (pinController === controller) pinController = null
      }
    }),
  )

  pinCancel.addEventListener('click', () => {
    if (pinController) pinController.abort(new DOMException('Cancelled', 'AbortError'))
    pinPending.hidden = true
    say('PIN sign-in cancelled.')
  })

  // ---- password sign-in ----

  passwordForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const submit = passwordForm.querySelector('button[type=submit]')
    run(submit, async () => {
      const data = new FormData(passwordForm)
      const body = { login: String(data.get('login') || ''), password: String(data.get('password') || '') }
      const code = String(data.get('verificationCode') || '').trim()
      if (!codeField.hidden && code) body.verificationCode = code
      try {
        const answer = await api('POST', '/v1/sign-in', body)
        passwordForm.reset()
        codeField.hidden = true
        codeInput.required = false
        signedInWith(answer)
      } catch (error) {
        if (error.code === 'verification_code_required') {
          codeField.hidden = false
          codeInput.required = true
          codeInput.focus()
          say('This account uses two-factor authentication: enter the code from your authenticator app.')
        }
        throw error
      }
    })
  })

  // ---- servers, transient token, source connection ----

  const selectedServer = () => {
    const checked = serverList.querySelector('input[name=server]:checked')
    return checked ? checked.value : null
  }

  function updateServerButtons() {
    const none = selectedServer() === null
    transientButton.disabled = none
    connectionButton.disabled = none
  }

  $('list-servers').addEventListener('click', (event) =>
    run(event.currentTarget, async () => {
      const { servers } = await api('GET', '/v1/servers')
      serverList.replaceChildren()
      servers.forEach((server, index) => {
        const id = 'server-' + index
        const input = document.createElement('input')
        input.type = 'radio'
        input.name = 'server'
        input.id = id
        input.value = server.clientIdentifier
        input.checked = index === 0
        input.addEventListener('change', () => {
          transientResult.hidden = true
          connectionResult.hidden = true
          updateServerButtons()
        })
        const label = document.createElement('label')
        label.htmlFor = id
        const count = server.connections.length
        label.textContent = server.name + (server.owned ? ' (owned)' : ' (shared with you)') + ', ' + count + (count === 1 ? ' connection' : ' connections')
        const row = document.createElement('div')
        row.append(input, label)
        serverList.append(row)
      })
      serverFieldset.hidden = false
      updateServerButtons()
      say(servers.length ? 'Found ' + servers.length + (servers.length === 1 ? ' server.' : ' servers.') : 'This account has no servers.')
    }),
  )

  transientButton.addEventListener('click', () =>
    run(transientButton, async () => {
      const server = selectedServer()
      const answer = await api('POST', '/v1/transient-token', { server })
      $('transient-token').textContent = answer.token
      $('transient-expires').textContent = new Date(answer.expiresAt).toLocaleString() + (answer.cached ? ' (cached)' : '')
      transientResult.hidden = false
      say('Got a transient token.')
    }),
  )

  connectionButton.addEventListener('click', () =>
    run(connectionButton, async () => {
      const server = selectedServer()
      const query = new URLSearchParams({ source: 'server://' + server, server })
      const info = await api('GET', '/v1/source-connection?' + query)
      $('connection-name').textContent = info.name || '(no name)'
      $('connection-id').textContent = info.clientIdentifier || '(none)'
      $('connection-token-note').hidden = !info.accessToken
      const list = $('connection-list')
      list.replaceChildren()
      for (const connection of info.connections) {
        const item = document.createElement('li')
        const kind = connection.relay ? 'relay' : connection.local ? 'local' : 'remote'
        item.textContent = (connection.uri || connection.address || '?') + ' (' + kind + ')'
        list.append(item)
      }
      connectionResult.hidden = false
      say('Got the source connection information.')
    }),
  )

  $('sign-out').addEventListener('click', (event) =>
    run(event.currentTarget, async () => {
      try {
        await api('POST', '/v1/sign-out')
      } finally {
        showSignedOut()
      }
      say('Signed out.')
    }),
  )

  // ---- start: is there a session already? ----

  run(null, async () => {
    try {
      showAccount(await api('GET', '/v1/user'))
    } catch (error) {
      showSignedOut()
      if (error.code === 'unauthenticated') say('Not signed in.')
      else throw error
    }
  })
})()
`
