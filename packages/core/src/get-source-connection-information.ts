import * as v from 'valibot'
import { plexRequest, plexUrl, readJson } from './http.ts'
import {
  invalidInput,
  type PlexCallOptions,
  type PlexClientOptions,
  requireServerToken,
  resolveBaseUrl,
} from './options.ts'
import { connectionsSchema, optionalString, type PlexConnection } from './schemas.ts'

/** What {@link getSourceConnectionInformation} takes besides the client options. */
export interface GetSourceConnectionInformationParams extends PlexCallOptions {
  /** `server://<clientIdentifier>` or `provider://<providerIdentifier>`. */
  source: string
  /** Ask the server to refresh its connection list first. */
  refresh?: boolean
  token?: string
  serverUrl?: string
}

/** How to reach a source, with its own access token. Unknown fields of the Device are kept. */
export interface SourceConnectionInformation {
  accessToken?: string
  clientIdentifier?: string
  name?: string
  connections: PlexConnection[]
  [key: string]: unknown
}

/** The Device of GET /security/resources, as Plex sends it. */
export interface SourceDevice {
  name?: string
  clientIdentifier?: string
  accessToken?: string
  Connection?: PlexConnection[]
  [key: string]: unknown
}

const sourceDeviceSchema: v.GenericSchema<unknown, SourceDevice> = v.looseObject({
  name: optionalString,
  clientIdentifier: optionalString,
  accessToken: optionalString,
  Connection: v.optional(connectionsSchema),
})

// Quirk: `Device` is one object, not an array (every other MediaContainer list is an array). We accept
// an array too, in case a server version sends one, and every field is optional as in the spec.
export const sourceConnectionSchema: v.GenericSchema<
  unknown,
  { MediaContainer: { Device?: SourceDevice | SourceDevice[] } }
> = v.object({
  MediaContainer: v.looseObject({
    // Array first: an object schema with only optional fields would also accept an array.
    Device: v.optional(v.union([v.array(sourceDeviceSchema), sourceDeviceSchema])),
  }),
})

/**
 * Asks a Plex Media Server how to reach a source and with which token (GET /security/resources).
 * Needs an admin token, or a transient token made from one.
 *
 * @example
 * const info = await getSourceConnectionInformation({
 *   clientIdentifier: 'my-app-install-1', serverUrl, token: adminToken, source: 'server://abc123',
 * })
 * info.connections[0]?.uri
 */
export async function getSourceConnectionInformation(
  options: PlexClientOptions & GetSourceConnectionInformationParams,
): Promise<SourceConnectionInformation> {
  const { source } = options
  if (typeof source !== 'string' || !/^(server|provider):\/\/./.test(source)) {
    throw invalidInput('source must start with server:// or provider://')
  }
  const serverUrl = resolveBaseUrl(options.serverUrl, 'serverUrl')
  const token = requireServerToken(options.token)
  const exchange = await plexRequest(options, {
    method: 'GET',
    // plexUrl percent-encodes: server://abc becomes server%3A%2F%2Fabc.
    url: plexUrl(serverUrl, '/security/resources', { source, refresh: options.refresh ? '1' : undefined }),
    token,
  })
  const device = readJson(exchange, sourceConnectionSchema).MediaContainer.Device
  const first = Array.isArray(device) ? device[0] : device
  if (!first) return { connections: [] }
  const { Connection, ...rest } = first
  return { ...rest, connections: Connection ?? [] }
}
