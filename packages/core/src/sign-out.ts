import { plexRequest } from './http.ts'
import {
  DEFAULT_PLEX_TV_URL,
  type PlexCallOptions,
  type PlexClientOptions,
  requireToken,
  resolveBaseUrl,
} from './options.ts'

/** What {@link signOut} takes besides the client options. */
export interface SignOutParams extends PlexCallOptions {
  token?: string
}

/**
 * Revokes a token at plex.tv (DELETE /api/v2/users/signout). Never retried.
 *
 * @example
 * await signOut({ clientIdentifier: 'my-app-install-1', token })
 */
export async function signOut(options: PlexClientOptions & SignOutParams): Promise<void> {
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  const token = requireToken(options.token)
  // Any 2xx (Plex answers 204) is success; the body, if any, is ignored.
  await plexRequest(options, { method: 'DELETE', url: `${base}/api/v2/users/signout`, token })
}
