import { plexRequest } from './http.ts'
import {
  DEFAULT_PLEX_TV_URL,
  type PlexCallOptions,
  type PlexClientOptions,
  requireToken,
  resolveBaseUrl,
} from './options.ts'

/** What {@link ping} takes besides the client options. */
export interface PingParams extends PlexCallOptions {
  token?: string
}

/**
 * Keeps a token alive (GET {plexTvUrl}/api/v2/ping). Plex documents no expiry for legacy tokens; reports say
 * daily pings keep one alive for months, against one or two months without. Resolves when plex.tv accepted
 * the token; `unauthorized` means it is gone.
 *
 * @example
 * await ping({ clientIdentifier: 'my-app-install-1', token })
 */
export async function ping(options: PlexClientOptions & PingParams): Promise<void> {
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  const token = requireToken(options.token)
  // Plex answers {"pong":true}; any 2xx is success and the body is ignored.
  await plexRequest(options, { method: 'GET', url: `${base}/api/v2/ping`, token })
}
