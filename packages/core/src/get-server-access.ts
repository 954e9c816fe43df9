import { getResources, type PlexResource } from './get-resources.ts'
import { getTokenDetails } from './get-token-details.ts'
import { invalidInput, type PlexCallOptions, type PlexClientOptions } from './options.ts'

/** How a user reaches one server: owns it, through the owner's Plex Home, or shared with them (a friend). */
export type ServerRole = 'owner' | 'home' | 'friend'

/** The best role of a user over the servers asked about; `none` when the user reaches none of them. */
export type AccessRole = ServerRole | 'none'

/**
 * Why a user has no access: `not_a_member`, the user's resources list none of the servers asked about
 * (or, when none were named, no server at all).
 */
export type AccessDeniedReason = 'not_a_member'

/** One server the user reaches, with how. */
export interface ServerAccessEntry {
  clientIdentifier: string
  name: string
  role: ServerRole
}

/** What {@link getServerAccess} answers. `reason` is set exactly when `role` is `none`. */
export interface ServerAccess {
  role: AccessRole
  servers: ServerAccessEntry[]
  reason?: AccessDeniedReason
}

/** What {@link getServerAccess} takes besides the client options. */
export interface GetServerAccessParams extends PlexCallOptions {
  /** The user's own token: no owner token is needed. */
  token?: string
  /** The clientIdentifiers of the servers that count; all of the user's servers when absent or empty. */
  servers?: readonly string[]
  /**
   * The numeric Plex account id of the servers' owner. A server's clientIdentifier is public and chosen by
   * the server itself, so anyone can run a server under the same one: with `ownerId`, a server counts as
   * `owner` only when the user is that account, and as `home` or `friend` only when its `ownerId` is it.
   */
  ownerId?: number
}

/** What {@link accessFromResources} takes besides the resources. */
export interface AccessOptions {
  servers?: readonly string[]
  /** As {@link GetServerAccessParams.ownerId}; needs `userId` for servers listed as owned. */
  ownerId?: number
  /** The numeric id of the user whose resources these are. */
  userId?: number
}

const RANK: Record<ServerRole, number> = { owner: 3, home: 2, friend: 1 }

function roleOf(resource: PlexResource): ServerRole {
  if (resource.owned) return 'owner'
  // Quirk: `home` is not documented (python-plexapi: "Unknown"); a Home member's view of the admin's server
  // has been read as `owned: false, home: true`. Without it, a server listed for the user is a share.
  return resource.home === true ? 'home' : 'friend'
}

/**
 * The access a user's resources give over some servers: a pure function of an answer of
 * {@link getResources}, for callers that already have one. Fails closed: nothing listed is `none`.
 *
 * @example
 * const access = accessFromResources(await plex.getResources({ token }), { servers: ['abc123'] })
 */
export function accessFromResources(
  resources: readonly PlexResource[],
  options: AccessOptions = {},
): ServerAccess {
  const wanted = options.servers && options.servers.length > 0 ? new Set(options.servers) : undefined
  const servers: ServerAccessEntry[] = []
  for (const resource of resources) {
    if (!resource.provides.split(',').some((role) => role.trim() === 'server')) continue
    if (wanted && !wanted.has(resource.clientIdentifier)) continue
    const role = roleOf(resource)
    // Someone else's server under the same (public) clientIdentifier is not this one: fails closed.
    if (options.ownerId !== undefined) {
      const owner = role === 'owner' ? options.userId : Number(resource.ownerId)
      if (owner !== options.ownerId) continue
    }
    // One entry per server, with its best role (a list may name a server twice).
    const seen = servers.find((entry) => entry.clientIdentifier === resource.clientIdentifier)
    if (seen) {
      if (RANK[role] > RANK[seen.role]) seen.role = role
      continue
    }
    servers.push({ clientIdentifier: resource.clientIdentifier, name: resource.name, role })
  }
  if (servers.length === 0) return { role: 'none', servers, reason: 'not_a_member' }
  const best = servers.reduce((a, b) => (RANK[b.role] > RANK[a.role] ? b : a))
  return { role: best.role, servers }
}

/**
 * Who the token's user is to some servers (GET /api/v2/resources, with the user's own token): `owner`,
 * `home` (a member of the owner's Plex Home), `friend` (shared with the user) or `none`, for the best of the
 * servers named, and each server's own role. Not being a member is an answer (`none` with `reason`), never
 * an error; a token plex.tv refuses, or no answer, is a PlexError as for getResources.
 *
 * Needs no owner token and no friends list (Plex retired `/api/v2/friends`: seerr-team/seerr#3414).
 *
 * @example
 * const { role } = await getServerAccess({ clientIdentifier: 'my-app-install-1', token, servers: ['abc123'] })
 * if (role === 'none') refuse()
 */
export async function getServerAccess(
  options: PlexClientOptions & GetServerAccessParams,
): Promise<ServerAccess> {
  const { servers, ownerId } = options
  if (
    servers !== undefined &&
    (!Array.isArray(servers) || !servers.every((id) => typeof id === 'string' && id.trim() !== ''))
  ) {
    throw invalidInput('servers must be a list of server clientIdentifiers')
  }
  if (ownerId !== undefined && !(Number.isSafeInteger(ownerId) && ownerId > 0))
    throw invalidInput('ownerId must be a Plex account id')
  if (ownerId === undefined) return accessFromResources(await getResources(options), { servers })
  // Who the user is, for servers listed as owned: asked beside the resources.
  const [resources, user] = await Promise.all([getResources(options), getTokenDetails(options)])
  return accessFromResources(resources, { servers, ownerId, userId: user.id })
}
