// Plex JWTs in a profile: storing a new one with its device key, and refreshing it.
import { type PlexDeviceKey, refreshPlexJwt } from '@plex-auth/core'
import type { StoredProfile } from './credentials.ts'
import { CliError, EXIT } from './exit.ts'
import { cliErrorFromPlex, describePlexError, isPlexErrorLike } from './plex-error-text.ts'
import type { Session } from './session.ts'
import type { SignedInProfile } from './stored-token.ts'

/**
 * When a JWT expires (ISO 8601), read from its `exp` without verifying it: plex.tv just sent it over TLS,
 * and the date only says when to refresh (as the core's refreshPlexJwt does).
 */
export function jwtExpiry(token: string): string | undefined {
  const payload = token.split('.')[1]
  if (!payload) return undefined
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp
    return typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000).toISOString() : undefined
  } catch {
    return undefined
  }
}

/**
 * A new Plex JWT for the profile's device key, stored before it is returned. If plex.tv cannot be asked
 * (network, 5xx, 429) while the current JWT is still valid, that one is used and a warning printed:
 * `plex-auth token` in a script must not fail a day early because plex.tv had a bad minute.
 */
export async function refreshStoredJwt(session: Session, profile: SignedInProfile): Promise<SignedInProfile> {
  if (!profile.deviceKey) {
    throw new CliError(
      'This profile has a Plex JWT but no device key: sign in again with plex-auth login --jwt',
      {
        exitCode: EXIT.notSignedIn,
        code: 'not_signed_in',
      },
    )
  }
  try {
    const fresh = await refreshPlexJwt({
      ...session.clientOptions(profile),
      // Whatever the file holds, the core validates it as a device key (invalid_input otherwise).
      deviceKey: profile.deviceKey as PlexDeviceKey,
    })
    const updated: StoredProfile = { ...profile, token: fresh.token, expiresAt: fresh.expiresAt }
    return session.store.save(session.profileName, updated) as SignedInProfile
  } catch (error) {
    if (!isPlexErrorLike(error)) throw error
    const stillValid = Date.parse(profile.expiresAt ?? '') > Date.now()
    const transient = ['network_error', 'timeout', 'upstream_error', 'rate_limited'].includes(error.code)
    if (stillValid && transient) {
      session.ui.warn(
        `Could not refresh the Plex JWT (${describePlexError(error, 'stored-token')}); using the current one, valid until ${profile.expiresAt}`,
      )
      return profile
    }
    throw cliErrorFromPlex(error, 'stored-token')
  }
}
