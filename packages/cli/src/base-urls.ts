// Where a profile's credentials may go. The plex.tv, clients.plex.tv and app.plex.tv base URLs are fixed at
// sign-in and stored with the token; a later command sends that token (or signs a device JWT) only there.
import { usageError } from './exit.ts'

export interface BaseUrls {
  plexTv: string
  clients: string
  app: string
}

/** Plex's own: what a profile signed in before base URLs were stored is taken to have used. */
export const DEFAULT_URLS: BaseUrls = {
  plexTv: 'https://plex.tv',
  clients: 'https://clients.plex.tv',
  app: 'https://app.plex.tv/auth',
}

/** 127.0.0.0/8, ::1 and localhost: plain http there never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '')
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  )
}

/**
 * The URL as it is compared and stored (scheme, host, port, path without trailing slashes); a usage error
 * for anything but https, or plain http to a loopback address.
 */
export function normalizeBaseUrl(value: string, source: string): string {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw usageError(`${source} is not a URL: ${value}`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw usageError(`${source} must be an https URL: ${value}`)
  }
  if (url.username || url.password || url.search || url.hash) {
    throw usageError(`${source} must be a plain base URL (no credentials, query or fragment): ${value}`)
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw usageError(
      `${source} uses plain http to ${url.hostname}: credentials would cross the network unencrypted; use https (http is only for 127.0.0.1, ::1 or localhost)`,
    )
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`
}
