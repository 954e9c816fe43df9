// `plex-auth home switch <user>`: the profile's token becomes the Home user's own plex.tv token, as "switch
// user" does in Plex's apps. The previous token is not revoked (scripts may hold it); `logout` first for that.
import { getHomeUsers, type PlexHomeUser, switchHomeUser } from '@plex-auth/core'
import { accountLabel, accountSummary } from '../account.ts'
import { defineCliCommand } from '../command.ts'
import type { StoredProfile } from '../credentials.ts'
import { CliError, EXIT, usageError } from '../exit.ts'
import type { Ui } from '../output.ts'
import { cliErrorFromPlex, isPlexErrorLike, withPlexContext } from '../plex-error-text.ts'
import { globalArgs } from '../session.ts'
import { usableProfile } from '../stored-token.ts'

export default defineCliCommand({
  meta: { name: 'switch', description: "Switch the profile's token to a Plex Home user's" },
  args: {
    ...globalArgs,
    user: {
      type: 'positional',
      required: true,
      description: 'The Home user: title, username, uuid or id (see plex-auth home list)',
    },
    pin: {
      type: 'string',
      valueHint: 'pin',
      description: "The user's Home PIN, for a user who has one (prompted on a terminal when left out)",
    },
  },
  async run(args, session) {
    const profile = await usableProfile(session)
    const options = session.clientOptions(profile)
    const users = await withPlexContext('home', () => getHomeUsers({ ...options, token: profile.token }))
    if (users.length === 0) throw new CliError('This account has no Plex Home', { code: 'not_found' })
    const user = findUser(users, args.user)
    let pin = args.pin
    if (user.protected && pin === undefined) pin = await askPin(session.ui, user.title)
    let switched: Awaited<ReturnType<typeof switchHomeUser>>
    try {
      switched = await switchHomeUser({
        ...options,
        token: profile.token,
        uuid: user.uuid,
        ...(pin === undefined ? {} : { pin }),
      })
    } catch (error) {
      if (isPlexErrorLike(error, 'home_pin_required')) {
        throw new CliError(
          pin === undefined
            ? `${user.title} has a Home PIN: pass --pin or run this in a terminal`
            : `Plex did not accept the PIN for ${user.title}`,
          { code: error.code, cause: error },
        )
      }
      throw isPlexErrorLike(error) ? cliErrorFromPlex(error, 'stored-token') : error
    }
    const account = accountSummary(switched)
    const stored: StoredProfile = {
      clientIdentifier: profile.clientIdentifier,
      token: switched.authToken,
      // A Home user's token is a plex.tv token, whatever the profile had before; the device key goes with the JWT.
      tokenType: 'legacy',
      method: 'home-switch',
      account,
      homeUser: { uuid: user.uuid, title: user.title },
      ...(profile.urls ? { urls: profile.urls } : {}),
      signedInAt: new Date().toISOString(),
    }
    session.store.save(session.profileName, stored)
    session.ui.success(`Switched profile "${session.profileName}" to ${accountLabel(account)}`)
    if (session.json) {
      session.ui.json({
        profile: session.profileName,
        homeUser: { uuid: user.uuid, title: user.title },
        account,
      })
    }
    return EXIT.ok
  },
})

/** The user named by title or username (any case), uuid or id; a usage error names the choices otherwise. */
export function findUser(users: PlexHomeUser[], wanted: string): PlexHomeUser {
  const folded = wanted.trim().toLowerCase()
  const match =
    users.find((user) => user.uuid === wanted || String(user.id) === wanted) ??
    users.find((user) => user.title.toLowerCase() === folded || user.username?.toLowerCase() === folded)
  if (!match) {
    throw usageError(`No Home user "${wanted}"; the users are: ${users.map((user) => user.title).join(', ')}`)
  }
  return match
}

async function askPin(ui: Ui, title: string): Promise<string> {
  if (!ui.interactive) throw usageError(`${title} has a Home PIN: pass --pin or run this in a terminal`)
  const prompts = await import('@clack/prompts')
  const pin = await prompts.password({
    input: ui.streams.stdin,
    output: ui.streams.stderr,
    message: `Home PIN for ${title}`,
    validate: (value) => (value ? undefined : 'Enter the PIN'),
  })
  if (prompts.isCancel(pin))
    throw new CliError('Cancelled', { exitCode: EXIT.interrupted, code: 'interrupted' })
  return pin
}
