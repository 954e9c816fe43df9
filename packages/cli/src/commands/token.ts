// `plex-auth token`: the stored token and nothing else on stdout, for `export PLEX_TOKEN=$(plex-auth token)`.
// The fast path reads one file and prints: the core is loaded only to refresh a Plex JWT or to --check.
import { defineCliCommand } from '../command.ts'
import { globalArgs } from '../session.ts'
import { usableProfile } from '../stored-token.ts'

export default defineCliCommand({
  meta: {
    name: 'token',
    description:
      'Print the stored token (and nothing else) for scripts; a Plex JWT with less than a day left is refreshed first',
  },
  args: {
    ...globalArgs,
    check: { type: 'boolean', description: 'Validate it with plex.tv first; exit 3 when it is not valid' },
  },
  async run(args, session) {
    const profile = await usableProfile(session)
    const token = profile.token
    if (args.check) {
      const { checkToken } = await import('../token-remote.ts')
      await checkToken(session, profile)
    }
    if (session.json) {
      session.ui.json({
        token,
        tokenType: profile.tokenType ?? 'legacy',
        ...(profile.expiresAt ? { expiresAt: profile.expiresAt } : {}),
        profile: session.profileName,
      })
    } else {
      session.ui.data(token)
    }
    return 0
  },
})
