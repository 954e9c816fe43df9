import * as v from 'valibot'
import { isPlexError, PlexError } from './errors.ts'
import { type PlexExchange, plexRequest, plexUrl, readJson } from './http.ts'
import {
  DEFAULT_PLEX_TV_URL,
  invalidInput,
  type PlexCallOptions,
  type PlexClientOptions,
  requireToken,
  resolveBaseUrl,
} from './options.ts'
import { xmlStartTagAttributes } from './plex-error-body.ts'
import { nullishString, optionalBoolean, optionalString } from './schemas.ts'

/** What {@link switchHomeUser} takes besides the client options. */
export interface SwitchHomeUserParams extends PlexCallOptions {
  /** A Home member's token (the admin's, or another member's). */
  token?: string
  /** The `uuid` of the Home user to switch to, from {@link getHomeUsers}. */
  uuid: string
  /** The user's PIN, when the user is `protected`. */
  pin?: string
  /**
   * The user's numeric `id`, from {@link getHomeUsers}: when plex.tv answers the current route with 404,
   * the switch is tried once more on the older route that takes it (`POST /api/home/users/{id}/switch`).
   */
  id?: number
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
  const { id } = options
  if (id !== undefined && !(Number.isSafeInteger(id) && id > 0))
    throw invalidInput('id must be a Home user id')
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  const token = requireToken(options.token)
  const request = (path: string) =>
    plexRequest(options, {
      method: 'POST',
      // Quirk: the PIN travels in the query string, where Plex wants it; errors never show it.
      url: plexUrl(base, path, { pin }),
      token,
      ...(pin === undefined ? {} : { secrets: [pin] }),
    })
  let exchange: PlexExchange
  try {
    exchange = await request(`/api/v2/home/users/${uuid}/switch`)
  } catch (error) {
    // Quirk: apps use two routes (python-plexapi and plex-for-kodi the older one, by numeric id, answering
    // XML `authenticationToken`); an account that 404s the current one gets one try on the older one.
    if (id === undefined || !isPlexError(error, 'not_found')) throw error
    const user = readLegacySwitch(await request(`/api/home/users/${id}/switch`))
    // The older route names the user by id: its answer must be that user, the one asked for by uuid too.
    if (user.id !== id || user.uuid !== uuid) {
      throw new PlexError('invalid_response', 'POST /api/home/users/{id}/switch: the answer is another user')
    }
    return user
  }
  return readJson(exchange, switchedHomeUserSchema)
}

/** The older route's answer: JSON like the current one, or XML `<user authenticationToken="..." .../>`. */
function readLegacySwitch(exchange: PlexExchange): SwitchedHomeUser {
  const { response, text, label } = exchange
  if (/[/+]json\b/i.test(response.headers.get('content-type') ?? '')) {
    return readJson(exchange, switchedHomeUserSchema)
  }
  const user = xmlStartTagAttributes(text, 'user')
  const authToken = user?.authToken ?? user?.authenticationToken
  const numericId = Number(user?.id)
  if (!user || !authToken || user.uuid === undefined || !Number.isSafeInteger(numericId)) {
    throw new PlexError('invalid_response', `${label}: expected a <user> with authenticationToken`, {
      status: response.status,
      response,
    })
  }
  const { authenticationToken: _same, ...fields } = user
  const flag = (name: string) =>
    user[name] === undefined ? {} : { [name]: user[name] === '1' || user[name] === 'true' }
  return {
    ...fields,
    id: numericId,
    uuid: user.uuid,
    authToken,
    ...flag('home'),
    ...flag('restricted'),
    ...flag('protected'),
    ...flag('guest'),
    ...flag('homeAdmin'),
  }
}
