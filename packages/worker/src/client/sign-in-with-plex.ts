/**
 * PIN sign-in from a click, in a way browsers let through. Safari on iOS and Firefox block a popup opened
 * after an `await` (goauthentik/authentik#24613, sct/overseerr#1848): the popup is opened synchronously,
 * inside the user's gesture, and only then pointed at app.plex.tv once the PIN exists. When the browser
 * blocks it anyway, the page itself goes to app.plex.tv and comes back to `forwardUrl`, where
 * `resumeSignInWithPlex` finishes the sign-in. Web standards only; `window` is passed in, never assumed.
 */
import type { PinCreated, SignedIn, WaitForPinOptions, WorkerClient } from './client.ts'

/** What the flow needs of a browser window; `window` itself fits. */
export interface SignInWindow {
  open(url: string, target: string, features: string): SignInPopup | null
  location: { href: string; assign(url: string): void }
  sessionStorage: {
    getItem(key: string): string | null
    setItem(key: string, value: string): void
    removeItem(key: string): void
  }
}

/** The popup `window.open` returned. */
export interface SignInPopup {
  location: { href: string }
  close(): void
  opener?: unknown
  closed?: boolean
}

export interface SignInWithPlexOptions extends WaitForPinOptions {
  window: SignInWindow
  /**
   * Where app.plex.tv sends the user back when the popup was blocked (must be on an origin the worker
   * allows, `ALLOWED_ORIGINS`). Default: the page's own URL.
   */
  forwardUrl?: string
  /** The popup's `window.open` features. Default: a 600x700 window. */
  popupFeatures?: string
  /**
   * Called once the PIN exists, before the wait, with its `code` and `authUrl`: to show the code, or a link
   * for when the popup was closed. Never given the poll token.
   */
  onPin?: (pin: Pick<PinCreated, 'code' | 'authUrl' | 'expiresAt'>) => void
}

/** How a sign-in went on: signed in in a popup, or the page is on its way to app.plex.tv. */
export type SignInWithPlexResult = ({ via: 'popup' } & SignedIn) | { via: 'redirect' }

/** sessionStorage key of a PIN sign-in that left the page: its id, poll token and expiry. */
export const PENDING_PIN_KEY = 'plex-auth:pending-pin'

const POPUP_NAME = 'plex-auth-sign-in'

/**
 * Starts a PIN sign-in from a click handler. Call it first thing in the handler, before any `await`: the
 * popup must open inside the user's gesture.
 *
 * @example
 * button.addEventListener('click', async () => {
 *   const result = await signInWithPlex(worker, { window })
 *   if (result.via === 'popup') show(result.user) // else the page is leaving for app.plex.tv
 * })
 * // On every page load, before anything else:
 * const resumed = await resumeSignInWithPlex(worker, { window })
 */
export async function signInWithPlex(
  worker: WorkerClient,
  options: SignInWithPlexOptions,
): Promise<SignInWithPlexResult> {
  const { window: win, forwardUrl, popupFeatures, onPin, ...waitOptions } = options
  // Synchronously, before the first await: this is what keeps the popup inside the user's gesture.
  const opened = win.open('about:blank', POPUP_NAME, popupFeatures ?? 'popup,width=600,height=700')
  // Some blockers hand back a window that is closed already: as blocked as null.
  const popup = opened?.closed === true ? null : opened
  // While it is still our own about:blank: app.plex.tv then gets no handle on this page (reverse tabnabbing).
  if (popup) {
    try {
      popup.opener = null
    } catch {
      // A browser that refuses: the popup still works, only with its opener.
    }
  }
  const callOptions = { signal: waitOptions.signal, headers: waitOptions.headers }
  if (popup === null) {
    const pin = await worker.createPin({ forwardUrl: forwardUrl ?? win.location.href }, callOptions)
    const pending = { id: pin.id, pollToken: pin.pollToken, expiresAt: pin.expiresAt }
    win.sessionStorage.setItem(PENDING_PIN_KEY, JSON.stringify(pending))
    win.location.assign(pin.authUrl)
    return { via: 'redirect' }
  }
  try {
    const pin = await worker.createPin({}, callOptions)
    popup.location.href = pin.authUrl
    onPin?.({ code: pin.code, authUrl: pin.authUrl, expiresAt: pin.expiresAt })
    const signedIn = await worker.waitForPin(pin, waitOptions)
    return { via: 'popup', ...signedIn }
  } finally {
    // Best effort: a browser may keep a popup whose opener was dropped; Plex's page then says to close it.
    popup.close()
  }
}

/**
 * Finishes a sign-in that went through a same-window redirect: `undefined` when none is pending, else the
 * session once the PIN is approved (or the PIN's `pin_expired`). The pending PIN is forgotten either way,
 * so a reload never polls a stale one.
 */
export async function resumeSignInWithPlex(
  worker: WorkerClient,
  options: { window: Pick<SignInWindow, 'sessionStorage'> } & WaitForPinOptions,
): Promise<SignedIn | undefined> {
  const { window: win, ...waitOptions } = options
  const stored = win.sessionStorage.getItem(PENDING_PIN_KEY)
  if (stored === null) return undefined
  win.sessionStorage.removeItem(PENDING_PIN_KEY)
  const pending = readPending(stored)
  if (!pending) return undefined
  return worker.waitForPin(pending, waitOptions)
}

/** The stored PIN, or undefined when it is not one (another script's value, an older format). */
function readPending(text: string): { id: string; pollToken: string; expiresAt: string } | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { id, pollToken, expiresAt } = value as Record<string, unknown>
  if (typeof id !== 'string' || !/^\d{1,15}$/.test(id)) return undefined
  if (typeof pollToken !== 'string' || !/^[\w-]{1,128}$/.test(pollToken)) return undefined
  if (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt))) return undefined
  return { id, pollToken, expiresAt }
}
