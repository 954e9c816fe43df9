import type { PlexDeviceKey } from './generate-device-key.ts'
import { plexRequest, plexUrl, readJson } from './http.ts'
import {
  DEFAULT_CLIENTS_URL,
  DEFAULT_PLEX_TV_URL,
  invalidInput,
  type PlexCallOptions,
  type PlexClientOptions,
  resolveBaseUrl,
} from './options.ts'
import { type PlexPin, pinSchema } from './schemas.ts'
import { signDeviceJwt } from './sign-device-jwt.ts'

/** What {@link checkPin} takes besides the client options. */
export interface CheckPinParams extends PlexCallOptions {
  /** The `id` {@link createPin} returned (not the code). */
  id: number | string
  /** The key the PIN was created with: `authToken` is then a Plex JWT. */
  deviceKey?: PlexDeviceKey
}

/**
 * Polls a PIN (GET /api/v2/pins/{id}) with the same client identifier that created it: `authToken` is null
 * until the user approves. An expired PIN throws `not_found` (plex code 1020). With the `deviceKey` the PIN
 * was created with, each poll proves possession of the key with a fresh device JWT, and `authToken` is the
 * Plex JWT (7 days; renew it with {@link refreshPlexJwt}).
 *
 * @example
 * const { authToken } = await checkPin({ clientIdentifier: 'my-app-install-1', id: pin.id })
 */
export async function checkPin(options: PlexClientOptions & CheckPinParams): Promise<PlexPin> {
  const id = String(options.id)
  if (!/^\d+$/.test(id)) throw invalidInput('id must be the numeric PIN id')
  if (options.deviceKey !== undefined) {
    const base = resolveBaseUrl(options.clientsUrl ?? DEFAULT_CLIENTS_URL, 'clientsUrl')
    const deviceJwt = await signDeviceJwt({
      clientIdentifier: options.clientIdentifier,
      deviceKey: options.deviceKey,
    })
    // Quirk: Plex wants the device JWT in the query string. It is signed and lives 5 minutes, so it is not
    // a bearer secret of the account; still, a query lands in access logs, so errors never show it.
    const exchange = await plexRequest(options, {
      method: 'GET',
      url: plexUrl(base, `/api/v2/pins/${id}`, { deviceJWT: deviceJwt }),
      secrets: [deviceJwt],
    })
    return readJson(exchange, pinSchema)
  }
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  const exchange = await plexRequest(options, { method: 'GET', url: `${base}/api/v2/pins/${id}` })
  return readJson(exchange, pinSchema)
}
