import { invalidInput, resolveBaseUrl } from './options.ts'

/** What {@link buildAuthUrl} takes. */
export interface BuildAuthUrlOptions {
  clientIdentifier: string
  product?: string
  /** The `code` of {@link createPin}. */
  code: string
  /** Where app.plex.tv sends the user after approval. */
  forwardUrl?: string
  /** Default `https://app.plex.tv/auth`. */
  appUrl?: string
}

/**
 * The app.plex.tv page where the user approves a PIN. No request is made.
 *
 * @example
 * buildAuthUrl({ clientIdentifier: 'my-app-install-1', product: 'My App', code: pin.code })
 * // 'https://app.plex.tv/auth#?clientID=my-app-install-1&code=...&context%5Bdevice%5D%5Bproduct%5D=My%20App'
 */
export function buildAuthUrl(options: BuildAuthUrlOptions): string {
  if (typeof options.clientIdentifier !== 'string' || options.clientIdentifier.trim() === '') {
    throw invalidInput('clientIdentifier is required')
  }
  if (typeof options.code !== 'string' || options.code === '') throw invalidInput('code is required')
  const appUrl = resolveBaseUrl(options.appUrl ?? 'https://app.plex.tv/auth', 'appUrl')
  if (options.forwardUrl !== undefined) checkForwardUrl(options.forwardUrl)
  // Quirk: app.plex.tv reads its parameters from the fragment, written like a query (`#?`).
  const pairs: [string, string | undefined][] = [
    ['clientID', options.clientIdentifier],
    ['code', options.code],
    ['context[device][product]', options.product],
    ['forwardUrl', options.forwardUrl],
  ]
  const fragment = pairs
    .filter((pair): pair is [string, string] => pair[1] !== undefined && pair[1] !== '')
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&')
  return `${appUrl}#?${fragment}`
}

// A forward URL may have a query (it is the app's own page), but must be an absolute http(s) URL.
function checkForwardUrl(value: string): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalidInput('forwardUrl is not a valid URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidInput('forwardUrl must be http(s)')
}
