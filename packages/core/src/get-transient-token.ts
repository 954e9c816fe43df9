import * as v from 'valibot'
import { plexRequest, plexUrl, readJson } from './http.ts'
import {
  invalidInput,
  type PlexCallOptions,
  type PlexClientOptions,
  requireServerToken,
  resolveBaseUrl,
} from './options.ts'

/** What {@link getTransientToken} takes besides the client options. */
export interface GetTransientTokenParams extends PlexCallOptions {
  /** The only value that exists. */
  type: 'delegation'
  /** The only value that exists. */
  scope: 'all'
  token?: string
  serverUrl?: string
}

/** What {@link getTransientToken} returns. */
export interface TransientToken {
  /** Same access as the caller's token; lives up to 48 hours and dies when the server restarts. */
  token: string
}

const transientTokenSchema: v.GenericSchema<unknown, { MediaContainer: { token: string } }> = v.object({
  MediaContainer: v.looseObject({ token: v.pipe(v.string(), v.nonEmpty()) }),
})

/**
 * Asks a Plex Media Server for a transient token (GET /security/token).
 *
 * @example
 * const { token } = await getTransientToken({
 *   clientIdentifier: 'my-app-install-1', product: 'My App',
 *   serverUrl: 'https://10-0-0-5.abc.plex.direct:32400', token: adminToken,
 *   type: 'delegation', scope: 'all',
 * })
 */
export async function getTransientToken(
  options: PlexClientOptions & GetTransientTokenParams,
): Promise<TransientToken> {
  if (options.type !== 'delegation') throw invalidInput("type must be 'delegation'")
  if (options.scope !== 'all') throw invalidInput("scope must be 'all'")
  const serverUrl = resolveBaseUrl(options.serverUrl, 'serverUrl')
  const token = requireServerToken(options.token)
  // GET, as the older spec and the Python client do: it is the idempotent, retriable form.
  const exchange = await plexRequest(options, {
    method: 'GET',
    url: plexUrl(serverUrl, '/security/token', { type: options.type, scope: options.scope }),
    token,
  })
  return { token: readJson(exchange, transientTokenSchema).MediaContainer.token }
}
