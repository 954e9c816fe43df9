// `plex-auth login`: PIN sign-in by default (no password ever touches plex-auth), or --password.
import { setTimeout as sleep } from 'node:timers/promises'
import type { PlexClientOptions } from '@plex-auth/core'
import { buildAuthUrl, checkPin, createPin, getTokenDetails, postUsersSignInData } from '@plex-auth/core'
import { accountLabel, accountSummary } from '../account.ts'
import { openBrowser } from '../browser.ts'
import { defineCliCommand } from '../command.ts'
import type { StoredAccount, StoredProfile } from '../credentials.ts'
import { CliError, EXIT, usageError } from '../exit.ts'
import { cliErrorFromPlex, isPlexErrorLike, withPlexContext } from '../plex-error-text.ts'
import { globalArgs, PRODUCT, type Session } from '../session.ts'
import { startSpinner } from '../spinner.ts'

/** Plex asks apps to poll a PIN about once a second. */
const POLL_INTERVAL_MS = 1000
/** The longest wait between polls after errors (network trouble, 429). */
const MAX_POLL_INTERVAL_MS = 30_000

export default defineCliCommand({
  meta: { name: 'login', description: 'Sign in to Plex and store the token for this profile' },
  args: {
    ...globalArgs,
    browser: {
      type: 'boolean',
      default: true,
      description: 'Open the approval page in the browser (only on a terminal, never in CI)',
      negativeDescription: 'Only print the link',
    },
    password: {
      type: 'boolean',
      description:
        'Sign in with login and password instead (prompted, no echo; then a 2FA code if Plex asks)',
    },
    login: {
      type: 'string',
      valueHint: 'email',
      description: 'With --password: the email or username to use',
    },
  },
  async run(args, session) {
    if (args.login && !args.password) throw usageError('--login goes with --password')
    const profile = session.store.ensure(session.profileName)
    const options = session.clientOptions(profile)
    const signIn = args.password
      ? await passwordSignIn(session, options, args.login)
      : await pinSignIn(session, options, args.browser !== false)
    const stored: StoredProfile = {
      clientIdentifier: profile.clientIdentifier,
      token: signIn.token,
      tokenType: 'legacy',
      method: signIn.method,
      signedInAt: new Date().toISOString(),
    }
    // Stored before anything else can fail: the new token retired the previous one of this device at Plex.
    session.store.save(session.profileName, stored)
    let account = signIn.account
    if (!account) {
      try {
        account = accountSummary(await getTokenDetails({ ...options, token: signIn.token }))
      } catch (error) {
        session.ui.warn(`Signed in, but could not read the account: ${(error as Error).message}`)
      }
    }
    if (account) session.store.save(session.profileName, { ...stored, account })
    finish(session, account, stored)
    return EXIT.ok
  },
})

interface SignIn {
  token: string
  method: 'pin' | 'password'
  account?: StoredAccount
}

function finish(session: Session, account: StoredAccount | undefined, stored: StoredProfile): void {
  const { ui } = session
  ui.success(
    `Signed in as ${ui.bold(accountLabel(account))}. Token stored for profile "${session.profileName}" in ${session.store.path}`,
  )
  if (session.json) {
    ui.json({
      profile: session.profileName,
      account: account ?? null,
      tokenType: stored.tokenType,
      method: stored.method,
      credentialsPath: session.store.path,
    })
  }
}

async function pinSignIn(
  session: Session,
  options: PlexClientOptions,
  wantBrowser: boolean,
): Promise<SignIn> {
  const { ui } = session
  const pin = await withPlexContext('pin', () => createPin({ ...options, strong: true }))
  const url = buildAuthUrl({
    clientIdentifier: options.clientIdentifier,
    product: PRODUCT,
    code: pin.code,
    ...(session.appUrl ? { appUrl: session.appUrl } : {}),
  })
  ui.say(`Open this link and allow ${ui.bold(PRODUCT)} to use your Plex account:`)
  ui.say(`  ${ui.cyan(url)}`)
  ui.say(`Code: ${ui.bold(pin.code)}`)
  if (wantBrowser && ui.interactive && !ui.streams.env.CI && openBrowser(url, ui.streams.env)) {
    ui.say(ui.dim('Opening your browser; if none opens, open the link yourself.'))
  }
  const expiresAt = expiry(pin)
  const controller = new AbortController()
  const onInterrupt = (): void => controller.abort()
  process.once('SIGINT', onInterrupt)
  const spinner = startSpinner(ui, waitingText(expiresAt))
  if (!spinner.active)
    ui.say(`Waiting for approval (the code expires at ${new Date(expiresAt).toISOString()})`)
  try {
    const token = await pollPin(options, pin.id, expiresAt, controller.signal, (text) =>
      spinner.message(text),
    )
    return { token, method: 'pin' }
  } finally {
    spinner.stop()
    process.removeListener('SIGINT', onInterrupt)
  }
}

function expiry(pin: { expiresAt: string; expiresIn: number }): number {
  const at = Date.parse(pin.expiresAt)
  return Number.isFinite(at) ? at : Date.now() + pin.expiresIn * 1000
}

function waitingText(expiresAt: number): string {
  const seconds = Math.max(0, Math.round((expiresAt - Date.now()) / 1000))
  const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
  return `Waiting for approval (the code expires in ${clock}; Ctrl-C to stop)`
}

/** Polls until the PIN carries a token; rides out network trouble and 429s until the PIN expires. */
async function pollPin(
  options: PlexClientOptions,
  id: number,
  expiresAt: number,
  signal: AbortSignal,
  progress: (text: string) => void,
): Promise<string> {
  let delay = POLL_INTERVAL_MS
  const interrupted = () => new CliError('Cancelled', { exitCode: EXIT.interrupted, code: 'interrupted' })
  for (;;) {
    try {
      await sleep(delay, undefined, { signal })
    } catch {
      throw interrupted()
    }
    if (Date.now() > expiresAt) {
      throw new CliError('The code expired before it was approved: run plex-auth login again', {
        code: 'not_found',
      })
    }
    try {
      const state = await checkPin({ ...options, id, signal })
      if (state.authToken) return state.authToken
      delay = POLL_INTERVAL_MS
      progress(waitingText(expiresAt))
    } catch (error) {
      if (signal.aborted) throw interrupted()
      if (isPlexErrorLike(error, 'rate_limited')) {
        delay = Math.min(Math.max((error.retryAfter ?? 0) * 1000, delay * 2), MAX_POLL_INTERVAL_MS)
        progress(`Plex asks to slow down; next check in ${Math.round(delay / 1000)} s`)
      } else if (isPlexErrorLike(error, 'network_error', 'timeout', 'upstream_error')) {
        delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS)
        progress(`Plex is not answering; next check in ${Math.round(delay / 1000)} s`)
      } else if (isPlexErrorLike(error)) {
        throw cliErrorFromPlex(error, 'pin')
      } else {
        throw error
      }
    }
  }
}

/** Login and password sign-in; asks for the 2FA code when Plex wants one. Never retried on its own. */
async function passwordSignIn(
  session: Session,
  options: PlexClientOptions,
  givenLogin: string | undefined,
): Promise<SignIn> {
  const { ui } = session
  if (!ui.interactive) {
    throw usageError('login --password prompts for the password, so it needs a terminal; use the PIN sign-in')
  }
  const prompts = await import('@clack/prompts')
  const io = { input: ui.streams.stdin, output: ui.streams.stderr }
  const answer = (value: string | symbol): string => {
    if (prompts.isCancel(value) || typeof value === 'symbol') {
      throw new CliError('Cancelled', { exitCode: EXIT.interrupted, code: 'interrupted' })
    }
    return value
  }
  const login =
    givenLogin ||
    answer(
      await prompts.text({
        ...io,
        message: 'Plex email or username',
        validate: (value) => (value?.trim() ? undefined : 'Enter the email or username of your Plex account'),
      }),
    ).trim()
  const password = answer(
    await prompts.password({
      ...io,
      message: `Password for ${login}`,
      validate: (value) => (value ? undefined : 'Enter the password'),
    }),
  )
  const signInWith = (verificationCode?: string) =>
    postUsersSignInData({
      ...options,
      login,
      password,
      rememberMe: true,
      ...(verificationCode ? { verificationCode } : {}),
    })
  let account: Awaited<ReturnType<typeof signInWith>>
  try {
    account = await signInWith()
  } catch (error) {
    if (!isPlexErrorLike(error, 'verification_code_required')) {
      throw isPlexErrorLike(error) ? cliErrorFromPlex(error, 'sign-in') : error
    }
    const code = answer(
      await prompts.text({
        ...io,
        message: 'Two-factor code (6 digits from your authenticator app)',
        validate: (value) => (/^\d{6}$/.test(value?.trim() ?? '') ? undefined : 'Enter the 6 digits'),
      }),
    ).trim()
    account = await withPlexContext('sign-in', () => signInWith(code))
  }
  return { token: account.authToken, method: 'password', account: accountSummary(account) }
}
