// `plex-auth whoami`: asks plex.tv who the stored token belongs to (so it also proves the token works).
import { getTokenDetails } from '@plex-auth/core'
import { accountDetails, accountLabel, accountSummary } from '../account.ts'
import { defineCliCommand } from '../command.ts'
import { withPlexContext } from '../plex-error-text.ts'
import { globalArgs } from '../session.ts'
import { usableProfile } from '../stored-token.ts'

export default defineCliCommand({
  meta: { name: 'whoami', description: 'The Plex account behind the stored token (asks plex.tv)' },
  args: { ...globalArgs },
  async run(_args, session) {
    const profile = await usableProfile(session)
    const account = await withPlexContext('stored-token', () =>
      getTokenDetails({ ...session.clientOptions(profile), token: profile.token }),
    )
    const details = accountDetails(account)
    if (session.json) {
      session.ui.json({
        profile: session.profileName,
        tokenType: profile.tokenType ?? 'legacy',
        ...(profile.expiresAt ? { expiresAt: profile.expiresAt } : {}),
        account: details,
      })
      return 0
    }
    const subscription = details.subscription as { active?: boolean } | undefined
    const lines = [
      accountLabel(accountSummary(account)),
      `  id ${account.id}, uuid ${account.uuid}`,
      `  Plex Pass: ${subscription?.active ? 'yes' : 'no'}, two-factor: ${account.twoFactorEnabled ? 'on' : 'off'}`,
      `  profile "${session.profileName}", ${profile.tokenType === 'jwt' ? `Plex JWT until ${profile.expiresAt}` : 'plex.tv token'}`,
    ]
    if (profile.homeUser) lines.push(`  Home user ${profile.homeUser.title ?? profile.homeUser.uuid}`)
    session.ui.data(lines.join('\n'))
    return 0
  },
})
