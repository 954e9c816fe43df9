import { plexRequest, readJson } from './http.ts'
import {
  DEFAULT_PLEX_TV_URL,
  invalidInput,
  type PlexCallOptions,
  type PlexClientOptions,
  resolveBaseUrl,
} from './options.ts'
import { type PlexPin, pinSchema } from './schemas.ts'

/** What {@link checkPin} takes besides the client options. */
export interface CheckPinParams extends PlexCallOptions {
  /** The `id` {@link createPin} returned (not the code). */
  id: number | string
}

/**
 * Polls a PIN (GET /api/v2/pins/{id}) with the same client identifier that created it: `authToken` is null
 * until the user approves. An expired PIN throws `not_found` (plex code 1020).
 *
 * @example
 * const { authToken } = await checkPin({ clientIdentifier: 'my-app-install-1', id: pin.id })
 */
export async function checkPin(options: PlexClientOptions & CheckPinParams): Promise<PlexPin> {
  const id = String(options.id)
  if (!/^\d+$/.test(id)) throw invalidInput('id must be the numeric PIN id')
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  const exchange = await plexRequest(options, { method: 'GET', url: `${base}/api/v2/pins/${id}` })
  return readJson(exchange, pinSchema)
}
