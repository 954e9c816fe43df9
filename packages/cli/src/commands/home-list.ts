// `plex-auth home list`: the members of the account's Plex Home.
import { getHomeUsers, type PlexHomeUser } from '@plex-auth/core'
import { defineCliCommand } from '../command.ts'
import { withPlexContext } from '../plex-error-text.ts'
import { globalArgs } from '../session.ts'
import { usableProfile } from '../stored-token.ts'

export default defineCliCommand({
  meta: { name: 'list', description: 'The users of your Plex Home (a PIN mark: switching needs it)' },
  args: { ...globalArgs },
  async run(_args, session) {
    const profile = await usableProfile(session)
    const users = await withPlexContext('home', () =>
      getHomeUsers({ ...session.clientOptions(profile), token: profile.token }),
    )
    if (session.json) {
      session.ui.json(users.map(describeHomeUser))
      return 0
    }
    if (users.length === 0) {
      session.ui.say('This account has no Plex Home.')
      return 0
    }
    const width = Math.max(...users.map((user) => user.title.length)) + 2
    const lines = users.map((user) => {
      const marks = [
        user.admin ? 'admin' : undefined,
        user.restricted
          ? `restricted${user.restrictionProfile ? ` (${user.restrictionProfile})` : ''}`
          : undefined,
        user.protected ? 'PIN' : undefined,
        profile.homeUser?.uuid === user.uuid ? 'current' : undefined,
      ].filter(Boolean)
      return `${user.title.padEnd(width)}${user.uuid}  ${marks.join(', ')}`.trimEnd()
    })
    session.ui.data(lines.join('\n'))
    return 0
  },
})

/** A Home user as --json shows it: what identifies the user and what switching needs. */
export function describeHomeUser(user: PlexHomeUser) {
  return {
    id: user.id,
    uuid: user.uuid,
    title: user.title,
    username: user.username,
    email: user.email,
    admin: user.admin,
    guest: user.guest,
    restricted: user.restricted,
    restrictionProfile: user.restrictionProfile ?? null,
    protected: user.protected,
  }
}
