// What `plex-auth token` asks plex.tv, in a module of its own: the command's fast path (read the file,
// print) never loads it, and it imports only the core functions it calls, so the bundle keeps those.
import { getTokenDetails } from '@plex-auth/core'
import type { StoredProfile } from './credentials.ts'
import { withPlexContext } from './plex-error-text.ts'
import type { Session } from './session.ts'

/** Resolves when plex.tv accepts the stored token; exit 3 when it does not. */
export async function checkToken(
  session: Session,
  profile: StoredProfile & { token: string },
): Promise<void> {
  await withPlexContext('stored-token', () =>
    getTokenDetails({ ...session.clientOptions(profile), token: profile.token }),
  )
}
