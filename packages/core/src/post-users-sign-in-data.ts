import * as v from 'valibot'
import { plexRequest, readJson } from './http.ts'
import {
  DEFAULT_PLEX_TV_URL,
  invalidInput,
  type PlexCallOptions,
  type PlexClientOptions,
  resolveBaseUrl,
} from './options.ts'
import { type UserPlexAccount, userPlexAccountEntries } from './schemas.ts'

/** What {@link postUsersSignInData} takes besides the client options. */
export interface PostUsersSignInDataParams extends PlexCallOptions {
  /** Email or username. */
  login: string
  password: string
  /** Default false. */
  rememberMe?: boolean
  /** The 6-digit code, for accounts with two-factor authentication (after `verification_code_required`). */
  verificationCode?: string
}

/** The account a sign-in returns: always with its new `authToken`. */
export interface SignedInPlexAccount extends UserPlexAccount {
  authToken: string
}

export const signedInPlexAccountSchema: v.GenericSchema<unknown, SignedInPlexAccount> = v.looseObject({
  ...userPlexAccountEntries,
  authToken: v.pipe(v.string(), v.nonEmpty()),
})

/**
 * Signs in with a login and password (POST /api/v2/users/signin); never retried, since repeated
 * failures lock the IP out. Throws `verification_code_required` when the account needs a 2FA code.
 *
 * @example
 * const account = await postUsersSignInData({
 *   clientIdentifier: 'my-app-install-1', product: 'My App', login: 'alice@example.com', password,
 * })
 * account.authToken
 */
export async function postUsersSignInData(
  options: PlexClientOptions & PostUsersSignInDataParams,
): Promise<SignedInPlexAccount> {
  const { login, password, verificationCode } = options
  if (typeof login !== 'string' || login.trim() === '') throw invalidInput('login must not be empty')
  if (typeof password !== 'string' || password === '') throw invalidInput('password must not be empty')
  // Not checked for 6 digits: Plex may accept other forms (backup codes); it judges, we only refuse empty.
  if (
    verificationCode !== undefined &&
    (typeof verificationCode !== 'string' || verificationCode.trim() === '')
  ) {
    throw invalidInput('verificationCode must not be empty')
  }
  const base = resolveBaseUrl(options.plexTvUrl ?? DEFAULT_PLEX_TV_URL, 'plexTvUrl')
  // Quirk: the body is a form (application/x-www-form-urlencoded), not JSON.
  const form = new URLSearchParams({ login, password, rememberMe: options.rememberMe ? 'true' : 'false' })
  if (verificationCode !== undefined) form.set('verificationCode', verificationCode)
  // No X-Plex-Token: sign-in is the call that makes one. Quirk: success is 201, not 200 (any 2xx passes).
  const exchange = await plexRequest(options, {
    method: 'POST',
    url: `${base}/api/v2/users/signin`,
    form,
    secrets: [password, ...(verificationCode ? [verificationCode] : [])],
  })
  return readJson(exchange, signedInPlexAccountSchema)
}
