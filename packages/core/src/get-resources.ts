import { plexRequest, plexUrl, readJson } from './http.ts'
import {
  DEFAULT_PLEX_TV_URL,
  type PlexCallOptions,
  type PlexClientOptions,
  requireToken,
  resolveBaseUrl,
} from './options.ts'
import { type PlexResource, resourcesSchema } from './schemas.ts'

/** What {@link getResources} takes besides the client options. */
export interface GetResourcesParams extends PlexCallOptions {
  token?: string
}

/**
 * The account's devices with their connections (GET /api/v2/resources): server discovery. Keep those whose
 * `provides` contains "server"; send each server its own `accessToken`.
 *
 * @example
 * const servers = (await getResources({ clientIdentifier: 'my-app-install-1', token }))
 *   .filter((resource) => resource.provides.split(',').includes('server'))
 */
export async function getResources(options: PlexClientOptions & GetResourcesParams): Promise<PlexResource[]> {
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  const token = requireToken(options.token)
  const exchange = await plexRequest(options, {
    method: 'GET',
    url: plexUrl(base, '/api/v2/resources', { includeHttps: '1', includeRelay: '1' }),
    token,
  })
  return readJson(exchange, resourcesSchema)
}
