// `plex-auth logout`: revokes the token at plex.tv (the device leaves "Authorized Devices"), then forgets
// it here. The profile keeps its client identifier, so signing in again is the same device.
import { signOut } from '@plex-auth/core'
import { accountLabel } from '../account.ts'
import { defineCliCommand } from '../command.ts'
import { CliError, EXIT } from '../exit.ts'
import { cliErrorFromPlex, describePlexError, isPlexErrorLike, isTokenGone } from '../plex-error-text.ts'
import { globalArgs } from '../session.ts'

export default defineCliCommand({
  meta: { name: 'logout', description: 'Revoke the token at plex.tv and delete it from this machine' },
  args: {
    ...globalArgs,
    local: { type: 'boolean', description: 'Only forget the token here, without revoking it at plex.tv' },
  },
  async run(args, session) {
    // --local sends nothing, so it works whatever PLEX_TV_URL says.
    const profile = session.signedInProfile({ offline: args.local === true })
    const { ui } = session
    let revoked = false
    if (!args.local) {
      // After `home switch`, the sign-in's own credential is kept as `original`: revoke it as well.
      const tokens = [profile.token, ...(profile.original ? [profile.original.token] : [])]
      revoked = true
      for (const token of tokens) {
        try {
          await signOut({ ...session.clientOptions(profile), token })
        } catch (error) {
          if (!isPlexErrorLike(error)) throw error
          // A token plex.tv no longer accepts is as good as revoked: forget it.
          if (!isTokenGone(error)) {
            throw new CliError(
              `${describePlexError(error, 'stored-token') ?? error.message}; nothing was deleted. Try again, or use --local to only forget it here`,
              { code: error.code, cause: cliErrorFromPlex(error, 'stored-token') },
            )
          }
          revoked = false
          ui.warn('plex.tv no longer accepted a token of this profile; forgetting it here')
        }
      }
    }
    session.store.forgetSignIn(session.profileName)
    ui.success(
      `${revoked ? 'Signed out and revoked' : 'Forgot'} the token of ${accountLabel(profile.account)} for profile "${session.profileName}"`,
    )
    if (session.json) ui.json({ profile: session.profileName, revoked, deleted: true })
    return EXIT.ok
  },
})
