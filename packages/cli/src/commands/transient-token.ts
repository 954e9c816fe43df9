// `plex-auth transient-token --server <id|url>`: a token from one of the account's Plex Media Servers that
// lives up to 48 hours and dies when the server restarts; safer to hand to a script than the account's.
import { getResources, getTransientToken, type PlexConnection, type PlexResource } from '@plex-auth/core'
import { isLoopbackHost } from '../base-urls.ts'
import { defineCliCommand } from '../command.ts'
import { CliError, usageError } from '../exit.ts'
import { cliErrorFromPlex, isPlexErrorLike, withPlexContext } from '../plex-error-text.ts'
import { globalArgs } from '../session.ts'
import { usableProfile } from '../stored-token.ts'
import { isServer } from './servers.ts'

/** Per connection tried: an unreachable address must not hold the others up for long. */
const CONNECTION_TIMEOUT_MS = 5000

export default defineCliCommand({
  meta: {
    name: 'transient-token',
    description:
      'Print a transient token (up to 48 h, dies when the server restarts) from one of your servers',
  },
  args: {
    ...globalArgs,
    server: {
      type: 'string',
      required: true,
      valueHint: 'id|url',
      description: "The server's clientIdentifier (see plex-auth servers) or one of its connection URLs",
    },
    'allow-http': {
      type: 'boolean',
      description: 'Also use plain http connections to other machines (the server token travels unencrypted)',
    },
  },
  async run(args, session) {
    const profile = await usableProfile(session)
    const options = session.clientOptions(profile)
    const servers = (
      await withPlexContext('stored-token', () => getResources({ ...options, token: profile.token }))
    ).filter(isServer)
    const wanted = args.server.trim()
    let server: PlexResource | undefined
    let urls: string[]
    if (/^https?:\/\//i.test(wanted)) {
      // Only a URL one of the account's servers lists: anywhere else, the server's token would be given away.
      const url = sameUrl(wanted)
      server = servers.find((candidate) =>
        candidate.connections.some((connection) => sameUrl(connection.uri) === url),
      )
      if (!server) {
        throw usageError(
          `No server of this account lists ${wanted}: pass one of the connection URLs of plex-auth servers, or a server's identifier`,
        )
      }
      if (!httpAllowed(url, args['allow-http'] === true)) {
        throw usageError(
          `${wanted} is plain http: the server's token would cross the network unencrypted; use an https connection, or pass --allow-http`,
        )
      }
      urls = [wanted.replace(/\/+$/, '')]
    } else {
      server = servers.find((candidate) => candidate.clientIdentifier === wanted)
      if (!server) {
        throw new CliError(
          `No server of this account has the identifier "${wanted}": see plex-auth servers`,
          { code: 'not_found' },
        )
      }
      const all = preferredConnections(server.connections).map((connection) => connection.uri)
      urls = all.filter((uri) => httpAllowed(uri, args['allow-http'] === true))
      if (urls.length === 0 && all.length > 0) {
        throw usageError(
          `${server.name} has only plain http connections: the server's token would cross the network unencrypted; pass --allow-http to use them`,
        )
      }
    }
    if (!server.accessToken) {
      throw new CliError(`Plex gave no access token for ${server.name}`, { code: 'forbidden' })
    }
    // A server gets its own accessToken from /resources, never the account's token (a Plex JWT is refused).
    const token = server.accessToken
    if (urls.length === 0) throw new CliError(`${server.name} has no connection`, { code: 'not_found' })
    let lastError: unknown
    for (const url of urls) {
      try {
        const transient = await getTransientToken({
          ...options,
          serverUrl: url,
          token,
          type: 'delegation',
          scope: 'all',
          timeoutMs: CONNECTION_TIMEOUT_MS,
          retry: false,
        })
        if (session.json) {
          session.ui.json({
            token: transient.token,
            url,
            server: { name: server.name, clientIdentifier: server.clientIdentifier },
          })
        } else {
          session.ui.data(transient.token)
        }
        return 0
      } catch (error) {
        // The next connection may work; anything but "no answer" is the server's word and final.
        if (!isPlexErrorLike(error, 'network_error', 'timeout')) {
          throw isPlexErrorLike(error) ? cliErrorFromPlex(error, 'server') : error
        }
        lastError = error
      }
    }
    const name = server.name
    throw new CliError(`Could not reach ${name} on any of its ${urls.length} connection(s)`, {
      code: isPlexErrorLike(lastError) ? lastError.code : 'network_error',
      cause: lastError,
    })
  },
})

/** A connection URL as compared: parsed (host case, default port) and without trailing slashes. */
function sameUrl(uri: string): string {
  try {
    const url = new URL(uri)
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`
  } catch {
    return uri
  }
}

/** https always; plain http on loopback (it never leaves the machine), or anywhere with --allow-http. */
export function httpAllowed(uri: string, allowHttp: boolean): boolean {
  try {
    const url = new URL(uri)
    return url.protocol === 'https:' || allowHttp || isLoopbackHost(url.hostname)
  } catch {
    return false
  }
}

/** https before http; within each, direct local, then direct remote, then relay. */
export function preferredConnections(connections: PlexConnection[]): PlexConnection[] {
  const rank = (connection: PlexConnection): number =>
    (connection.uri.startsWith('https:') ? 0 : 3) + (connection.relay ? 2 : connection.local ? 0 : 1)
  return [...connections].sort((a, b) => rank(a) - rank(b))
}
