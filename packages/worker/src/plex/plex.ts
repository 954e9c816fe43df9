import {
  buildAuthUrl,
  type PlexClient as CorePlexClient,
  checkPin,
  createPin,
  generateDeviceKey,
  getHomeUsers,
  getResources,
  getSourceConnectionInformation,
  getTokenDetails,
  getTransientToken,
  type PlexClientOptions,
  ping,
  postUsersSignInData,
  refreshPlexJwt,
  signOut,
  switchHomeUser,
  verifyPlexJwt,
} from '@plex-auth/core'
import type { Config } from '../config.ts'
import type { PlexDevice } from '../sessions/session-store.ts'

/*
 * The core operations the worker calls, and only those: the core's createPlexClient binds every operation,
 * so the bundle would carry the ones the worker never calls (getServerAccess, registerDeviceKey, …).
 */
const OPERATIONS = {
  buildAuthUrl,
  checkPin,
  createPin,
  generateDeviceKey,
  getHomeUsers,
  getResources,
  getSourceConnectionInformation,
  getTokenDetails,
  getTransientToken,
  ping,
  postUsersSignInData,
  refreshPlexJwt,
  signOut,
  switchHomeUser,
  verifyPlexJwt,
}

/** The core client's methods the worker uses, bound to one device: the same types as createPlexClient's. */
export type PlexClient = Pick<CorePlexClient, keyof typeof OPERATIONS>

/**
 * The core client for one device (a PIN's or a session's): every call carries that device's identifier
 * and name. No automatic retries: the frontend decides, sign-in must never be retried (Plex locks the IP
 * out), and a retry would only stretch the latency of a failing call.
 */
export function createPlex(config: Config, fetchImpl: typeof fetch, device: PlexDevice): PlexClient {
  const bound: PlexClientOptions = {
    clientIdentifier: device.clientIdentifier,
    deviceName: device.deviceName,
    product: config.product,
    plexTvUrl: config.plexTvUrl,
    clientsUrl: config.clientsUrl,
    fetch: fetchImpl,
    timeoutMs: config.timeoutMs,
    retry: false,
  }
  const methods: Record<string, (params?: object) => unknown> = {}
  for (const [name, operation] of Object.entries(OPERATIONS)) {
    // As createPlexClient merges: a call's option wins unless it is undefined (the worker passes no headers).
    methods[name] = (params) => {
      const merged: Record<string, unknown> = { ...bound }
      for (const [key, value] of Object.entries(params ?? {})) if (value !== undefined) merged[key] = value
      return (operation as (options: object) => unknown)(merged)
    }
  }
  return methods as unknown as PlexClient
}
