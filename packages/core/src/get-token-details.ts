import { plexRequest, readJson } from './http.ts'
import {
  DEFAULT_PLEX_TV_URL,
  type PlexCallOptions,
  type PlexClientOptions,
  requireToken,
  resolveBaseUrl,
} from './options.ts'
import { type UserPlexAccount, userPlexAccountSchema } from './schemas.ts'

/** What {@link getTokenDetails} takes besides the client options. */
export interface GetTokenDetailsParams extends PlexCallOptions {
  token?: string
}

/**
 * The plex.tv account behind a token (GET /api/v2/user). Resolves: the token is valid; `unauthorized`:
 * it is not (discard it); any other error says nothing about the token.
 *
 * @example
 * const account = await getTokenDetails({ clientIdentifier: 'my-app-install-1', product: 'My App', token })
 * account.username
 */
export async function getTokenDetails(
  options: PlexClientOptions & GetTokenDetailsParams,
): Promise<UserPlexAccount> {
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  const token = requireToken(options.token)
  const exchange = await plexRequest(options, { method: 'GET', url: `${base}/api/v2/user`, token })
  return readJson(exchange, userPlexAccountSchema)
}
