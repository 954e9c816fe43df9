import { plexRequest, plexUrl, readJson } from './http.ts'
import {
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
}

/**
 * Starts a PIN sign-in (POST /api/v2/pins): send the user to {@link buildAuthUrl} with its `code`, then
 * poll {@link checkPin} with its `id` until `authToken` is set. Never retried (each call makes a PIN).
 *
 * @example
 * const pin = await createPin({ clientIdentifier: 'my-app-install-1', product: 'My App' })
 * const url = buildAuthUrl({ clientIdentifier: 'my-app-install-1', product: 'My App', code: pin.code })
 */
export async function createPin(options: PlexClientOptions & CreatePinParams): Promise<PlexPin> {
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  const strong = options.strong ?? true
  const exchange = await plexRequest(options, {
    method: 'POST',
    url: plexUrl(base, '/api/v2/pins', { strong: strong ? 'true' : undefined }),
  })
  return readJson(exchange, pinSchema)
}
