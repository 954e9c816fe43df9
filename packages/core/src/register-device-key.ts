import { type PlexDeviceKey, plexWireJwk, readDeviceKey } from './generate-device-key.ts'
import { plexRequest } from './http.ts'
import {
  DEFAULT_CLIENTS_URL,
  type PlexCallOptions,
  type PlexClientOptions,
  requireToken,
  resolveBaseUrl,
} from './options.ts'

/** What {@link registerDeviceKey} takes besides the client options. */
export interface RegisterDeviceKeyParams extends PlexCallOptions {
  /** The device's legacy token: Plex retires it once a JWT is issued for this device. */
  token?: string
  deviceKey: PlexDeviceKey
}

/**
 * Registers a device key with a legacy token (POST {clientsUrl}/api/v2/auth/jwk), for devices that signed
 * in without a key; then {@link refreshPlexJwt} gets Plex JWTs. Plex retires the legacy token once it
 * issues a JWT for this device (client identifier). A key that another device holds rejects with
 * `key_already_registered`. Never retried.
 *
 * @example
 * const deviceKey = await generateDeviceKey()
 * await registerDeviceKey({ clientIdentifier: 'my-app-install-1', token, deviceKey })
 * const { token: jwt } = await refreshPlexJwt({ clientIdentifier: 'my-app-install-1', deviceKey })
 */
export async function registerDeviceKey(options: PlexClientOptions & RegisterDeviceKeyParams): Promise<void> {
  const deviceKey = readDeviceKey(options.deviceKey)
  const base = resolveBaseUrl(options.clientsUrl ?? DEFAULT_CLIENTS_URL, 'clientsUrl')
  const token = requireToken(options.token)
  // Success is 201 (any 2xx passes); the body, if any, is ignored.
  await plexRequest(options, {
    method: 'POST',
    url: `${base}/api/v2/auth/jwk`,
    token,
    json: { jwk: { ...plexWireJwk(deviceKey), use: 'sig' } },
  })
}
