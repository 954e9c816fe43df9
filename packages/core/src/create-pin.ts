import { type PlexDeviceKey, plexWireJwk, readDeviceKey } from './generate-device-key.ts'
import { plexRequest, plexUrl, readJson } from './http.ts'
import {
  DEFAULT_CLIENTS_URL,
  DEFAULT_PLEX_TV_URL,
  type PlexCallOptions,
  type PlexClientOptions,
  resolveBaseUrl,
} from './options.ts'
import { type PlexPin, pinSchema } from './schemas.ts'

/** What {@link createPin} takes besides the client options. */
export interface CreatePinParams extends PlexCallOptions {
  /** A long code meant for the auth URL (default true); false gives the 4-character code of plex.tv/link. */
  strong?: boolean
  /**
   * The device's key: the PIN then yields a Plex JWT for this key (poll {@link checkPin} with the same
   * key) instead of a legacy token.
   */
  deviceKey?: PlexDeviceKey
}

/**
 * Starts a PIN sign-in (POST /api/v2/pins): send the user to {@link buildAuthUrl} with its `code`, then
 * poll {@link checkPin} with its `id` until `authToken` is set. Never retried (each call makes a PIN).
 * With a `deviceKey`, the PIN carries the key's public JWK (POST {clientsUrl}/api/v2/pins, JSON body).
 *
 * @example
 * const pin = await createPin({ clientIdentifier: 'my-app-install-1', product: 'My App' })
 * const url = buildAuthUrl({ clientIdentifier: 'my-app-install-1', product: 'My App', code: pin.code })
 */
export async function createPin(options: PlexClientOptions & CreatePinParams): Promise<PlexPin> {
  const strong = options.strong ?? true
  if (options.deviceKey !== undefined) {
    const deviceKey = readDeviceKey(options.deviceKey)
    const base = resolveBaseUrl(options.clientsUrl ?? DEFAULT_CLIENTS_URL, 'clientsUrl')
    // Quirk: with a key, `strong` moves from the query into the JSON body, beside the JWK.
    const exchange = await plexRequest(options, {
      method: 'POST',
      url: `${base}/api/v2/pins`,
      json: { jwk: plexWireJwk(deviceKey), strong },
    })
    return readJson(exchange, pinSchema)
  }
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  const exchange = await plexRequest(options, {
    method: 'POST',
    url: plexUrl(base, '/api/v2/pins', { strong: strong ? 'true' : undefined }),
  })
  return readJson(exchange, pinSchema)
}
