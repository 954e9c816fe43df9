import { createPlexClient, PlexError } from '@plex-auth/core'
import type { Config } from './config.ts'
import type { PlexDevice } from './session-store.ts'

export type PlexClient = ReturnType<typeof createPlexClient>

/**
 * The core client for one device (a PIN's or a session's): every call carries that device's identifier
 * and name. No automatic retries: the frontend decides, sign-in must never be retried (Plex locks the IP
 * out), and a retry would only stretch the latency of a failing call.
 */
export function createPlex(config: Config, fetchImpl: typeof fetch, device: PlexDevice): PlexClient {
  return createPlexClient({
    clientIdentifier: device.clientIdentifier,
    deviceName: device.deviceName,
    product: config.product,
    plexTvUrl: config.plexTvUrl,
    fetch: fetchImpl,
    timeoutMs: config.timeoutMs,
    retry: false,
  })
}

/** True for a PlexError with one of these codes. */
export function isPlexError(error: unknown, ...codes: string[]): error is PlexError {
  return error instanceof PlexError && (codes.length === 0 || codes.includes(error.code))
}

/** Whether plex.tv said the token itself is no good: 401, or the 422 "Invalid token" of a revoked one. */
export function isTokenRejected(error: unknown): boolean {
  return isPlexError(error, 'unauthorized') || (isPlexError(error) && error.status === 422)
}
