import * as v from 'valibot'
import { plexRequest, plexUrl, readJson } from './http.ts'
import {
  DEFAULT_PLEX_TV_URL,
  type PlexCallOptions,
  type PlexClientOptions,
  requireToken,
  resolveBaseUrl,
} from './options.ts'
import { connectionsSchema, nullishString, type PlexConnection } from './schemas.ts'

/** What {@link getResources} takes besides the client options. */
export interface GetResourcesParams extends PlexCallOptions {
  token?: string
}

/** A device of the account (GET /api/v2/resources); servers have `provides` containing "server". */
export interface PlexResource {
  name: string
  clientIdentifier: string
  /** Comma-separated: "server", "player,pubsub-player", ... */
  provides: string
  owned: boolean
  /** Listed through the account's Plex Home (a Home member's view of the admin's server), when Plex says so. */
  home?: boolean
  /** The token to send to this server. */
  accessToken?: string
  connections: PlexConnection[]
  [key: string]: unknown
}

const resourceSchema: v.GenericSchema<unknown, PlexResource> = v.looseObject({
  name: v.string(),
  clientIdentifier: v.string(),
  provides: v.optional(v.string(), ''),
  owned: v.optional(v.boolean(), false),
  // Undocumented: read leniently, anything but a boolean is "not said" (never a reason to fail the list).
  home: v.optional(
    v.pipe(
      v.unknown(),
      v.transform((value) => (typeof value === 'boolean' ? value : undefined)),
    ),
  ),
  // Plex sends null for devices whose token we may not have; null becomes absent.
  accessToken: v.pipe(
    nullishString,
    v.transform((value) => value ?? undefined),
  ),
  connections: v.optional(connectionsSchema, () => []),
})

export const resourcesSchema: v.GenericSchema<unknown, PlexResource[]> = v.array(resourceSchema)

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
