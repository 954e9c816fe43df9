// The demo page's script (bundled by scripts/build-demo.mjs into /demo.js). It talks to the worker only
// through the typed client that ships, `@plex-auth/worker/client`, with the cookie session.
//
// Token rules it follows:
// - The session lives in the HttpOnly `__Host-plex_session` cookie only: in cookie mode, sign-in answers
//   carry no session token, and the script keeps only `user` of them.
// - The Plex token never leaves the worker. A PIN's `pollToken` stays in the client's hands; only when the
//   browser blocks the sign-in popup and the page itself goes to app.plex.tv does it wait in sessionStorage
//   (with the PIN's id), and it is removed as soon as the page is back (resumeSignInWithPlex).
// - The only token put in the page is a transient token, and only when the user asks for one: it is
//   short-lived, valid for one server, and exactly what a frontend needs to talk to that server.
// - Nothing else is written to localStorage, sessionStorage or document.cookie.
// - A source connection answer can carry an `accessToken`: it is never shown.
import {
  createWorkerClient,
  isWorkerProblemError,
  resumeSignInWithPlex,
  signInWithPlex,
  type WorkerHomeUser,
  type WorkerSessionEntry,
  type WorkerUser,
} from '@plex-auth/worker/client'
import {
  byId,
  clearAccount,
  clearError,
  clearHomeUsers,
  clearServers,
  clearSessions,
  clearSourceConnection,
  clearTransientToken,
  markInvalidFields,
  renderHomeUsers,
  renderServers,
  renderSessions,
  say,
  selectedHomeUser,
  selectedServer,
  showAccessRole,
  showAccount,
  showError,
  showSourceConnection,
  showTransientToken,
} from './view.ts'

const worker = createWorkerClient({ baseUrl: location.origin, session: 'cookie' })

const signedOut = byId('signed-out', HTMLElement)
const signedIn = byId('signed-in', HTMLElement)
const passwordForm = byId('password-form', HTMLFormElement)
const passwordSubmit = passwordForm.querySelector<HTMLButtonElement>('button[type=submit]')!
const codeField = byId('code-field', HTMLDivElement)
const codeInput = byId('verification-code', HTMLInputElement)
const pinStart = byId('pin-start', HTMLButtonElement)
const pinPending = byId('pin-pending', HTMLDivElement)
const pinLink = byId('pin-link', HTMLAnchorElement)
const pinCancel = byId('pin-cancel', HTMLButtonElement)
// `npm run demo` serves this page on loopback: name the fake Plex's accounts there (never on a deployment).
byId('demo-accounts', HTMLElement).hidden = !['localhost', '127.0.0.1', '[::1]'].includes(location.hostname)
const serverFieldset = byId('servers', HTMLFieldSetElement)
const listServersButton = byId('list-servers', HTMLButtonElement)
const transientButton = byId('get-transient-token', HTMLButtonElement)
const connectionButton = byId('get-source-connection', HTMLButtonElement)
const transientResult = byId('transient-result', HTMLElement)
const connectionResult = byId('connection-result', HTMLElement)
const signOutButton = byId('sign-out', HTMLButtonElement)
const listHomeButton = byId('list-home', HTMLButtonElement)
const homeForm = byId('home-form', HTMLFormElement)
const homeNone = byId('home-none', HTMLParagraphElement)
const homePinField = byId('home-pin-field', HTMLDivElement)
const homePin = byId('home-pin', HTMLInputElement)
const homeSwitchButton = byId('home-switch', HTMLButtonElement)
const listSessionsButton = byId('list-sessions', HTMLButtonElement)
const sessionList = byId('session-list', HTMLUListElement)
const signOutEverywhereButton = byId('sign-out-everywhere', HTMLButtonElement)
let pinController: AbortController | undefined
/** The account the session speaks for, and the members of its Plex Home once listed. */
let currentUser: WorkerUser | undefined
let homeUsers: WorkerHomeUser[] = []

/**
 * Runs an action with its button disabled and marked busy; shows any error in the alert region; a lost
 * session returns to sign-in. A cancelled PIN wait (an AbortError) is not an error.
 */
async function run(button: HTMLButtonElement | null, action: () => Promise<void>): Promise<void> {
  clearError()
  say('')
  if (button) {
    button.disabled = true
    button.setAttribute('aria-busy', 'true')
  }
  try {
    await action()
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') return
    // An app's OpenID Connect sign-in that the access policy refuses goes back to the app, told so.
    const oidc = oidcContinue()
    if (oidc && isWorkerProblemError(error, 'not_a_member')) {
      oidc.pathname = '/v1/oidc/authorize/cancel'
      location.assign(oidc.href)
      return
    }
    showError(error)
    if (isWorkerProblemError(error, 'unauthenticated', 'plex_token_rejected')) showSignedOut()
  } finally {
    if (button) {
      button.disabled = false
      button.removeAttribute('aria-busy')
    }
    updateServerButtons()
  }
}

/**
 * Shows the account; `moveFocus` after a sign-in, so keyboard and screen reader users land on it. A sign-in
 * that forward-auth started (`?rd=`) goes back to the app it came from: the worker checks the host; one an
 * app's OpenID Connect sign-in started (`?oidc=`) goes on with it.
 */
function showSignedIn(user: WorkerUser, moveFocus: boolean): void {
  const rd = returnTo()
  if (moveFocus && rd) {
    location.assign(`/v1/forward-auth/return?rd=${encodeURIComponent(rd)}`)
    return
  }
  const oidc = oidcContinue()
  if (moveFocus && oidc) {
    location.assign(oidc.href)
    return
  }
  currentUser = user
  void showAccess()
  showAccount(user)
  signedOut.hidden = true
  signedIn.hidden = false
  say(`Signed in as ${user.username || user.email || user.title}.`)
  if (moveFocus) byId('account-heading', HTMLHeadingElement).focus()
}

/**
 * An app's OpenID Connect sign-in that sent the browser here (`?oidc=`): the worker's own authorization
 * request to go back to once signed in. Only that path of this origin, so `oidc` is no open redirect;
 * the worker checks the app and its return address again.
 */
function oidcContinue(): URL | undefined {
  const value = new URLSearchParams(location.search).get('oidc')
  if (!value?.startsWith('/')) return undefined
  const url = new URL(value, location.origin)
  return url.origin === location.origin && url.pathname === '/v1/oidc/authorize' ? url : undefined
}

/**
 * Where a forward-auth sign-in goes back to (`?rd=`), as the worker writes it (encoded) or as an nginx
 * `return 302 …?rd=$scheme://$http_host$request_uri` does (raw, so its own `&` and `+` belong to it): the
 * rest of the query after `rd=`. The worker's return route checks the host.
 */
function returnTo(): string | undefined {
  const raw = /[?&]rd=(.*)$/.exec(location.search)?.[1]
  if (!raw) return undefined
  if (/^https?:/i.test(raw)) return raw
  try {
    return decodeURIComponent(raw)
  } catch {
    return undefined
  }
}

/** Who the user is to the Plex servers (GET /v1/access): shown, never needed to go on. */
async function showAccess(): Promise<void> {
  try {
    showAccessRole(await worker.getAccess())
  } catch {
    showAccessRole(undefined)
  }
}

function showSignedOut(): void {
  pinController?.abort()
  signedIn.hidden = true
  signedOut.hidden = false
  pinPending.hidden = true
  serverFieldset.hidden = true
  clearServers()
  transientResult.hidden = true
  clearTransientToken()
  connectionResult.hidden = true
  clearSourceConnection()
  clearAccount()
  currentUser = undefined
  clearHome()
  clearSessions()
  updateServerButtons()
}

/** Servers and their results belong to the account: a Home switch clears them. */
function clearServerPanels(): void {
  serverFieldset.hidden = true
  clearServers()
  transientResult.hidden = true
  clearTransientToken()
  connectionResult.hidden = true
  clearSourceConnection()
}

function clearHome(): void {
  homeUsers = []
  homeForm.hidden = true
  homeNone.hidden = true
  clearHomeUsers()
  homePin.value = ''
  homePin.removeAttribute('aria-invalid')
  updateHomeForm()
}

function updateServerButtons(): void {
  const none = selectedServer() === undefined
  transientButton.disabled = none || transientButton.hasAttribute('aria-busy')
  connectionButton.disabled = none || connectionButton.hasAttribute('aria-busy')
}

// ---- PIN sign-in ----

// signInWithPlex opens the popup synchronously, inside this click (browsers block one opened after an
// await), and falls back to taking this page to app.plex.tv when the browser blocks it anyway.
pinStart.addEventListener('click', () =>
  run(pinStart, async () => {
    pinController?.abort()
    const controller = new AbortController()
    pinController = controller
    try {
      const result = await signInWithPlex(worker, {
        window,
        signal: controller.signal,
        onPin: (pin) => {
          if (!/^https?:\/\//.test(pin.authUrl)) throw new Error('The sign-in link is not a web address.')
          pinLink.href = pin.authUrl
          pinPending.hidden = false
          // The card says what to do; the status line (read out by screen readers) says what happened.
          say('Plex sign-in opened in a new window.')
        },
      })
      if (result.via === 'popup') showSignedIn(result.user, true)
      else say('Taking you to Plex to sign in.')
    } finally {
      pinPending.hidden = true
      if (pinController === controller) pinController = undefined
    }
  }),
)

pinCancel.addEventListener('click', () => {
  pinController?.abort(new DOMException('Cancelled', 'AbortError'))
  pinPending.hidden = true
  say('PIN sign-in cancelled.')
  pinStart.focus()
})

// ---- password sign-in ----

passwordForm.addEventListener('submit', (event) => {
  event.preventDefault()
  run(passwordSubmit, async () => {
    const data = new FormData(passwordForm)
    const code = String(data.get('verificationCode') ?? '').trim()
    const input = {
      login: String(data.get('login') ?? ''),
      password: String(data.get('password') ?? ''),
      ...(!codeField.hidden && code ? { verificationCode: code } : {}),
    }
    try {
      const { user } = await worker.signIn(input)
      passwordForm.reset()
      markInvalidFields(passwordForm, undefined)
      codeField.hidden = true
      codeInput.required = false
      showSignedIn(user, true)
    } catch (error) {
      markInvalidFields(passwordForm, error)
      if (isWorkerProblemError(error, 'verification_code_required') && !input.verificationCode) {
        // An expected step, not a failure: ask for the code without the red alert.
        codeField.hidden = false
        codeInput.required = true
        codeInput.focus()
        say('This account uses two-factor authentication: enter the code from your authenticator app.')
        return
      }
      throw error
    }
  })
})

// ---- Plex Home ----

/**
 * Whether this session switches to `user` without a PIN: back to the admin from a managed user (the
 * worker keeps the admin's session for it), or to anyone unprotected.
 */
function pinless(user: WorkerHomeUser): boolean {
  if (!user.protected) return true
  const me = homeUsers.find((member) => member.uuid === currentUser?.uuid)
  return user.admin && me !== undefined && !me.admin
}

/** The PIN field only for a user who needs one; the button names whom it switches to. */
function updateHomeForm(): void {
  const target = homeUsers.find((user) => user.uuid === selectedHomeUser())
  const needsPin = target !== undefined && !pinless(target)
  homePinField.hidden = !needsPin
  homePin.required = needsPin
  if (!needsPin) homePin.value = ''
  byId('home-pin-name', HTMLSpanElement).textContent = target?.title ?? ''
  const back = target?.admin && pinless(target) && target.protected
  homeSwitchButton.textContent = target
    ? `${back ? 'Switch back to' : 'Switch to'} ${target.title}`
    : 'Switch'
  homeSwitchButton.disabled = !target || homeSwitchButton.hasAttribute('aria-busy')
}

function showHome(): void {
  renderHomeUsers(homeUsers, currentUser?.uuid, pinless, () => {
    homePin.removeAttribute('aria-invalid')
    updateHomeForm()
  })
  homeForm.hidden = homeUsers.length === 0
  homeNone.hidden = homeUsers.length > 0
  updateHomeForm()
}

listHomeButton.addEventListener('click', () =>
  run(listHomeButton, async () => {
    ;({ users: homeUsers } = await worker.getHomeUsers())
    showHome()
    const count = homeUsers.length
    say(
      count
        ? `This Plex Home has ${count} ${count === 1 ? 'user' : 'users'}.`
        : 'This account has no Plex Home.',
    )
  }),
)

homeForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const uuid = selectedHomeUser()
  const target = homeUsers.find((user) => user.uuid === uuid)
  if (!uuid || !target) return
  run(homeSwitchButton, async () => {
    const pin = homePin.value.trim()
    try {
      // A new session for that user: the worker replaces the cookie and ends the old session.
      const { user } = await worker.switchHomeUser(homePinField.hidden || !pin ? { uuid } : { uuid, pin })
      homePin.removeAttribute('aria-invalid')
      clearServerPanels()
      showSignedIn(user, true)
      showHome()
      // The session that asked is gone: a list on screen would show it.
      if (!sessionList.hidden) await showSessions()
      say(`Switched to ${user.title}.`)
    } catch (error) {
      if (isWorkerProblemError(error, 'home_pin_required', 'invalid_request') && !homePinField.hidden) {
        homePin.setAttribute('aria-invalid', 'true')
        homePin.focus()
        homePin.select()
      }
      throw error
    }
  }).finally(updateHomeForm)
})

// ---- your sessions ----

async function showSessions(): Promise<number> {
  const { sessions } = await worker.listSessions()
  renderSessions(sessions, endOne)
  return sessions.length
}

/** Ends one session; ending this device's own is signing out. */
function endOne(session: WorkerSessionEntry, button: HTMLButtonElement): void {
  run(button, async () => {
    await worker.endSession(session.id)
    if (session.current) {
      showSignedOut()
      byId('sign-in-heading', HTMLHeadingElement).focus()
      say('Signed out.')
      return
    }
    await showSessions()
    listSessionsButton.focus()
    say(`Ended the session on ${session.deviceName}.`)
  })
}

listSessionsButton.addEventListener('click', () =>
  run(listSessionsButton, async () => {
    const count = await showSessions()
    say(`${count} ${count === 1 ? 'session' : 'sessions'} signed in.`)
  }),
)

signOutEverywhereButton.addEventListener('click', () => {
  if (!window.confirm('Sign out on every device, this one included?')) return
  run(signOutEverywhereButton, async () => {
    try {
      await worker.signOutEverywhere()
    } finally {
      showSignedOut()
      byId('sign-in-heading', HTMLHeadingElement).focus()
    }
    say('Signed out everywhere.')
  })
})

// ---- servers, transient token, source connection ----

function serverChanged(): void {
  transientResult.hidden = true
  connectionResult.hidden = true
  updateServerButtons()
}

listServersButton.addEventListener('click', () =>
  run(listServersButton, async () => {
    const { servers } = await worker.getServers()
    renderServers(servers, serverChanged)
    serverFieldset.hidden = servers.length === 0
    const count = servers.length
    say(count ? `Found ${count} ${count === 1 ? 'server' : 'servers'}.` : 'This account has no servers.')
  }),
)

transientButton.addEventListener('click', () =>
  run(transientButton, async () => {
    const server = selectedServer()
    showTransientToken(await worker.getTransientToken(server ? { server } : {}))
    transientResult.hidden = false
    say('Got a transient token.')
  }),
)

connectionButton.addEventListener('click', () =>
  run(connectionButton, async () => {
    const server = selectedServer()
    if (!server) return
    showSourceConnection(await worker.getSourceConnection({ source: `server://${server}`, server }))
    connectionResult.hidden = false
    say('Got the source connection information.')
  }),
)

signOutButton.addEventListener('click', () =>
  run(signOutButton, async () => {
    try {
      await worker.signOut()
    } finally {
      showSignedOut()
      byId('sign-in-heading', HTMLHeadingElement).focus()
    }
    say('Signed out.')
  }),
)

// ---- start: is there a session already? ----

run(null, async () => {
  // Back from app.plex.tv after a blocked popup: finish that sign-in first.
  const resumed = await resumeSignInWithPlex(worker, { window })
  if (resumed) {
    showSignedIn(resumed.user, true)
    return
  }
  try {
    showSignedIn(await worker.getUser(), false)
  } catch (error) {
    showSignedOut()
    if (isWorkerProblemError(error, 'unauthenticated')) say('Not signed in.')
    else throw error
  }
})
