// The stored token, ready to send: a Plex JWT within a day of expiry is refreshed first. Light on purpose:
// the refresh code (and the core with it) loads only when a refresh is due.
import type { StoredProfile } from './credentials.ts'
import type { Session } from './session.ts'

/** Refresh a Plex JWT when less than this remains, as Plex's documentation advises. */
export const JWT_REFRESH_MARGIN_MS = 24 * 60 * 60 * 1000

export type SignedInProfile = StoredProfile & { token: string }

export function needsRefresh(profile: StoredProfile, now = Date.now()): boolean {
  if (profile.tokenType !== 'jwt') return false
  const expiresAt = Date.parse(profile.expiresAt ?? '')
  return !Number.isFinite(expiresAt) || expiresAt - now < JWT_REFRESH_MARGIN_MS
}

/** The signed-in profile (exit 3 without one), its Plex JWT refreshed first when due. */
export async function usableProfile(session: Session): Promise<SignedInProfile> {
  const profile = session.signedInProfile()
  if (!needsRefresh(profile)) return profile
  const { refreshStoredJwt } = await import('./jwt.ts')
  return refreshStoredJwt(session, profile)
}
