// `plex-auth ping`: keeps the token alive (GET /api/v2/ping). Plex documents no expiry for plex.tv tokens;
// reports say a daily ping keeps one alive for months, against one or two months without: put it in cron.
import { ping } from '@plex-auth/core'
import { defineCliCommand } from '../command.ts'
import { withPlexContext } from '../plex-error-text.ts'
import { globalArgs } from '../session.ts'
import { usableProfile } from '../stored-token.ts'

export default defineCliCommand({
  meta: {
    name: 'ping',
    description: 'Keep the token alive (run it daily); exit 3 when plex.tv no longer takes it',
  },
  args: { ...globalArgs },
  async run(_args, session) {
    const profile = await usableProfile(session)
    await withPlexContext('stored-token', () =>
      ping({ ...session.clientOptions(profile), token: profile.token }),
    )
    if (session.json) session.ui.json({ profile: session.profileName, pong: true })
    else session.ui.success(`plex.tv accepted the token of profile "${session.profileName}"`)
    return 0
  },
})
