// `plex-auth home switch <user>`: the profile's token becomes the Home user's own plex.tv token, as "switch
// user" does in Plex's apps. The credential the profile signed in with (a Plex JWT and its device key, say)
// is kept as `original`, so `logout` revokes it too and switching back to it needs no PIN; a Home user's
// token is revoked when the profile switches away from it, since nothing here could reach it afterwards.
import {
  getHomeUsers,
  type PlexClientOptions,
  type PlexHomeUser,
  signOut,
  switchHomeUser,
} from '@plex-auth/core'
import { accountLabel, accountSummary } from '../account.ts'
import { defineCliCommand } from '../command.ts'
import type { StoredCredential, StoredProfile } from '../credentials.ts'
import { CliError, cancelled, EXIT, usageError } from '../exit.ts'
import type { Ui } from '../output.ts'
import {
  cliErrorFromPlex,
  describePlexError,
  isPlexErrorLike,
  isTokenGone,
  withPlexContext,
} from '../plex-error-text.ts'
import { globalArgs, type Session } from '../session.ts'
import { usableProfile } from '../stored-token.ts'

/** How to give a Home PIN when there is no terminal to ask it on. */
const PIN_HOW = 'run this in a terminal, or set PLEX_HOME_PIN'

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
      description:
        "The user's Home PIN, for a user who has one (prompted on a terminal when left out; scripts: env PLEX_HOME_PIN, which ps does not show)",
    },
  },
  async run(args, session) {
    const profile = await usableProfile(session)
    const options = session.clientOptions(profile)
    const users = await withPlexContext('home', () => getHomeUsers({ ...options, token: profile.token }))
    if (users.length === 0) throw new CliError('This account has no Plex Home', { code: 'not_found' })
    const user = findUser(users, args.user)
    const original = profile.original
    if (original && isOriginal(user, original)) {
      // Back to the sign-in the profile was made with: its own credential again, no PIN needed.
      const restored: StoredProfile = {
        clientIdentifier: profile.clientIdentifier,
        ...original,
        ...(profile.urls ? { urls: profile.urls } : {}),
        ...(profile.jwtIssued ? { jwtIssued: true } : {}),
      }
      session.store.save(session.profileName, restored)
      await revokeDropped(session, options, profile.token)
      report(session, user, original.account ?? accountSummary(user))
      return EXIT.ok
    }
    // The environment rather than argv for scripts: `ps` shows a command line to every user of the machine.
    let pin = args.pin ?? (session.ui.streams.env.PLEX_HOME_PIN || undefined)
    if (user.protected && pin === undefined) pin = await askPin(session.ui, user.title)
    let switched: Awaited<ReturnType<typeof switchHomeUser>>
    try {
      switched = await switchHomeUser({
        ...options,
        token: profile.token,
        uuid: user.uuid,
        id: user.id,
        ...(pin === undefined ? {} : { pin }),
      })
    } catch (error) {
      if (isPlexErrorLike(error, 'home_pin_required')) {
        throw new CliError(
          pin === undefined
            ? `${user.title} has a Home PIN: ${PIN_HOW}`
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
      // The first switch keeps the sign-in's credential; later ones keep that same one.
      original: original ?? credentialOf(profile),
      signedInAt: new Date().toISOString(),
      // The device identifier keeps what plex.tv did to it, whichever token the profile holds now.
      ...(profile.jwtIssued ? { jwtIssued: true } : {}),
    }
    session.store.save(session.profileName, stored)
    // The previous Home user's token is no longer stored anywhere: revoke it rather than leave it live.
    if (original) await revokeDropped(session, options, profile.token)
    report(session, user, account)
    return EXIT.ok
  },
})

function report(session: Session, user: PlexHomeUser, account: StoredProfile['account']): void {
  session.ui.success(`Switched profile "${session.profileName}" to ${accountLabel(account)}`)
  if (session.json) {
    session.ui.json({
      profile: session.profileName,
      homeUser: { uuid: user.uuid, title: user.title },
      account,
    })
  }
}

/** The profile's sign-in, as `original` keeps it. */
function credentialOf(profile: StoredProfile & { token: string }): StoredCredential {
  const credential: StoredCredential = { token: profile.token }
  for (const key of ['tokenType', 'expiresAt', 'deviceKey', 'account', 'method', 'signedInAt'] as const) {
    if (profile[key] !== undefined) Object.assign(credential, { [key]: profile[key] })
  }
  return credential
}

/** The Home user the profile signed in as: same uuid, else same username. */
function isOriginal(user: PlexHomeUser, original: StoredCredential): boolean {
  const account = original.account
  if (account?.uuid) return user.uuid === account.uuid
  return !!account?.username && user.username?.toLowerCase() === account.username.toLowerCase()
}

/** Revokes a Home user's token the profile no longer holds; a failure only warns (the switch is done). */
async function revokeDropped(session: Session, options: PlexClientOptions, token: string): Promise<void> {
  try {
    await signOut({ ...options, token })
  } catch (error) {
    if (isTokenGone(error)) return
    const reason = isPlexErrorLike(error) ? describePlexError(error, 'stored-token') : String(error)
    session.ui.warn(`Could not revoke the previous Home user's token (${reason}); it stays valid at plex.tv`)
  }
}

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
  if (!ui.interactive) throw usageError(`${title} has a Home PIN: ${PIN_HOW}`)
  const prompts = await import('@clack/prompts')
  const pin = await prompts.password({
    input: ui.streams.stdin,
    output: ui.streams.stderr,
    message: `Home PIN for ${title}`,
    validate: (value) => (value ? undefined : 'Enter the PIN'),
  })
  if (prompts.isCancel(pin)) throw cancelled()
  return pin
}
