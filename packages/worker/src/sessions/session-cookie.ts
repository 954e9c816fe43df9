/*
 * The session cookie. By default `__Host-plex_session`: the browser accepts it only Secure, on Path=/ and
 * without Domain, so no subdomain can plant or read it. With SESSION_COOKIE_DOMAIN (for forward-auth, where
 * the cookie must reach the worker with requests to sibling hosts) it is `__Secure-plex_session` with that
 * Domain: still Secure and HttpOnly, but every host under the domain receives it, and any of them that can
 * set cookies can plant one of its own (README, "Forward-auth").
 */

const HOST_COOKIE = '__Host-plex_session'
const DOMAIN_COOKIE = '__Secure-plex_session'

/** The cookie's name for this configuration. */
export function sessionCookieName(domain: string | undefined): string {
  return domain ? DOMAIN_COOKIE : HOST_COOKIE
}

function attributes(domain: string | undefined): string {
  return `Path=/;${domain ? ` Domain=${domain};` : ''} HttpOnly; Secure; SameSite=Lax`
}

/** The Set-Cookie value of a new session. */
export function sessionCookie(domain: string | undefined, token: string, maxAgeSeconds: number): string {
  return `${sessionCookieName(domain)}=${token}; Max-Age=${maxAgeSeconds}; ${attributes(domain)}`
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie(domain: string | undefined): string {
  return `${sessionCookieName(domain)}=; Max-Age=0; ${attributes(domain)}`
}
