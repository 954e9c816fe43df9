import * as v from 'valibot'
import { isPlexError } from './errors.ts'
import { plexRequest, readJson } from './http.ts'
import {
  DEFAULT_PLEX_TV_URL,
  type PlexCallOptions,
  type PlexClientOptions,
  requireToken,
  resolveBaseUrl,
} from './options.ts'
import { nullishString, optionalBoolean } from './schemas.ts'

/** What {@link getHomeUsers} takes besides the client options. */
export interface GetHomeUsersParams extends PlexCallOptions {
  token?: string
}

/** A member of a Plex Home: the admin, managed users (no username or email) and the guest. */
export interface PlexHomeUser {
  id: number
  uuid: string
  title: string
  /** null for managed users. */
  username: string | null
  /** null for managed users. */
  email: string | null
  thumb?: string | null
  hasPassword?: boolean
  restricted: boolean
  /** e.g. `little_kid`, `older_kid`, `teen`: open. */
  restrictionProfile?: string | null
  admin: boolean
  guest: boolean
  /** The user has a PIN: {@link switchHomeUser} needs it. */
  protected: boolean
  [key: string]: unknown
}

const homeUserSchema: v.GenericSchema<unknown, PlexHomeUser> = v.looseObject({
  id: v.number(),
  uuid: v.string(),
  title: v.string(),
  username: v.optional(v.nullable(v.string()), null),
  email: v.optional(v.nullable(v.string()), null),
  thumb: nullishString,
  hasPassword: optionalBoolean,
  restricted: v.optional(v.boolean(), false),
  restrictionProfile: nullishString,
  admin: v.optional(v.boolean(), false),
  guest: v.optional(v.boolean(), false),
  protected: v.optional(v.boolean(), false),
})

const homeSchema = v.looseObject({ users: v.array(homeUserSchema) })

/**
 * The members of the token's Plex Home (GET {plexTvUrl}/api/v2/home/users); `[]` when the account has no
 * Home (Plex answers 404).
 *
 * @example
 * const users = await getHomeUsers({ clientIdentifier: 'my-app-install-1', token })
 * const kids = users.find((user) => user.title === 'Kids')
 */
export async function getHomeUsers(options: PlexClientOptions & GetHomeUsersParams): Promise<PlexHomeUser[]> {
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  const token = requireToken(options.token)
  try {
    const exchange = await plexRequest(options, { method: 'GET', url: `${base}/api/v2/home/users`, token })
    return readJson(exchange, homeSchema).users
  } catch (error) {
    // Quirk: an account without a Home is a 404, not an empty list.
    if (isPlexError(error, 'not_found')) return []
    throw error
  }
}
