import { createPlexClient } from '@plex-auth/core'
import type { Config } from '../config.ts'
import type { PlexDevice } from '../sessions/session-store.ts'

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
    clientsUrl: config.clientsUrl,
    fetch: fetchImpl,
    timeoutMs: config.timeoutMs,
    retry: false,
  })
}
