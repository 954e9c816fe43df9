// `plex-auth servers`: the account's Plex Media Servers and how to reach them. No access token is shown:
// `plex-auth transient-token --server <id>` gives a short-lived one.
import { getResources, type PlexResource } from '@plex-auth/core'
import { defineCliCommand } from '../command.ts'
import { withPlexContext } from '../plex-error-text.ts'
import { globalArgs } from '../session.ts'
import { usableProfile } from '../stored-token.ts'

export default defineCliCommand({
  meta: { name: 'servers', description: "The account's servers and their connections" },
  args: { ...globalArgs },
  async run(_args, session) {
    const profile = await usableProfile(session)
    const resources = await withPlexContext('stored-token', () =>
      getResources({ ...session.clientOptions(profile), token: profile.token }),
    )
    const servers = resources.filter(isServer).map(describeServer)
    if (session.json) {
      session.ui.json(servers)
      return 0
    }
    if (servers.length === 0) {
      session.ui.say('No servers: this account owns none and none is shared with it.')
      return 0
    }
    const lines: string[] = []
    for (const server of servers) {
      lines.push(`${server.name}  ${server.clientIdentifier}  ${server.owned ? 'owned' : 'shared'}`)
      for (const connection of server.connections) {
        const kind = connection.relay ? 'relay' : connection.local ? 'local' : 'remote'
        lines.push(`  ${connection.uri}  ${kind}`)
      }
    }
    session.ui.data(lines.join('\n'))
    return 0
  },
})

export function isServer(resource: PlexResource): boolean {
  return resource.provides.split(',').includes('server')
}

/** A server without its access token: name, identifier, ownership and connections. */
export function describeServer(resource: PlexResource) {
  return {
    name: resource.name,
    clientIdentifier: resource.clientIdentifier,
    owned: resource.owned,
    ...(typeof resource.productVersion === 'string' ? { productVersion: resource.productVersion } : {}),
    ...(typeof resource.sourceTitle === 'string' ? { sourceTitle: resource.sourceTitle } : {}),
    connections: resource.connections.map((connection) => ({
      uri: connection.uri,
      protocol: connection.protocol,
      address: connection.address,
      port: connection.port,
      local: connection.local,
      relay: connection.relay,
    })),
  }
}
