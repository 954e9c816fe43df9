import * as v from 'valibot'
import { plexRequest, plexUrl, readJson } from './http.ts'
import {
  DEFAULT_PLEX_TV_URL,
  invalidInput,
  type PlexCallOptions,
  type PlexClientOptions,
  requireToken,
  resolveBaseUrl,
} from './options.ts'
import { nullishString, optionalBoolean, optionalString } from './schemas.ts'

/** What {@link switchHomeUser} takes besides the client options. */
export interface SwitchHomeUserParams extends PlexCallOptions {
  /** A Home member's token (the admin's, or another member's). */
  token?: string
  /** The `uuid` of the Home user to switch to, from {@link getHomeUsers}. */
  uuid: string
  /** The user's PIN, when the user is `protected`. */
  pin?: string
}

/**
 * The account a switch gives, with the Home user's own plex.tv token in `authToken`. Like
 * UserPlexAccount, but a managed user has no username or email. Unknown fields are kept.
 */
export interface SwitchedHomeUser {
  id: number
  uuid: string
  title?: string
  /** null or absent for managed users. */
  username?: string | null
  /** null or absent for managed users. */
  email?: string | null
  friendlyName?: string
  thumb?: string | null
  authToken: string
  home?: boolean
  homeAdmin?: boolean
  restricted?: boolean
  guest?: boolean
  protected?: boolean
  [key: string]: unknown
}

const switchedHomeUserSchema: v.GenericSchema<unknown, SwitchedHomeUser> = v.looseObject({
  id: v.number(),
  uuid: v.string(),
  title: optionalString,
  username: nullishString,
  email: nullishString,
  friendlyName: optionalString,
  thumb: nullishString,
  authToken: v.pipe(v.string(), v.nonEmpty()),
  home: optionalBoolean,
  homeAdmin: optionalBoolean,
  restricted: optionalBoolean,
  guest: optionalBoolean,
  protected: optionalBoolean,
})

/**
 * Switches to a Plex Home user (POST {plexTvUrl}/api/v2/home/users/{uuid}/switch): resolves the user's
 * account with its own `authToken`, a plex.tv token (use it with getResources, then each server's own
 * `accessToken`). A protected user needs `pin`, even for the admin: a missing or wrong PIN rejects with
 * `home_pin_required` (403, plex code 1041). Never retried.
 *
 * @example
 * const kid = await switchHomeUser({ clientIdentifier: 'my-app-install-1', token, uuid: user.uuid, pin: '1234' })
 * kid.authToken
 */
export async function switchHomeUser(
  options: PlexClientOptions & SwitchHomeUserParams,
): Promise<SwitchedHomeUser> {
  const { uuid, pin } = options
  // A uuid goes into the path: only the characters Plex uses in one, so that it cannot climb to another route.
  if (typeof uuid !== 'string' || !/^[\w-]+$/.test(uuid)) throw invalidInput('uuid must be a Home user uuid')
  if (pin !== undefined && (typeof pin !== 'string' || pin === ''))
    throw invalidInput('pin must not be empty')
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  const token = requireToken(options.token)
  // Quirk: the PIN travels in the query string, where Plex wants it; errors never show it.
  const exchange = await plexRequest(options, {
    method: 'POST',
    url: plexUrl(base, `/api/v2/home/users/${uuid}/switch`, { pin }),
    token,
    ...(pin === undefined ? {} : { secrets: [pin] }),
  })
  return readJson(exchange, switchedHomeUserSchema)
}
