// `plex-auth login`: PIN sign-in by default (no password ever touches plex-auth), or --password; with --jwt
// the device holds an Ed25519 key and the token is a Plex JWT, which `plex-auth token` refreshes.
import { setTimeout as sleep } from 'node:timers/promises'
import {
  buildAuthUrl,
  checkPin,
  createPin,
  generateDeviceKey,
  getTokenDetails,
  type PlexClientOptions,
  type PlexDeviceKey,
  postUsersSignInData,
  refreshPlexJwt,
  registerDeviceKey,
  signOut,
} from '@plex-auth/core'
import { accountLabel, accountSummary } from '../account.ts'
import type { BaseUrls } from '../base-urls.ts'
import { openBrowser } from '../browser.ts'
import { defineCliCommand } from '../command.ts'
import { newClientIdentifier, type StoredAccount, type StoredProfile } from '../credentials.ts'
import { CliError, cancelled, EXIT, usageError } from '../exit.ts'
import { jwtExpiry } from '../jwt.ts'
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
    jwt: {
      type: 'boolean',
      description:
        'Sign in with a device key: the token is a Plex JWT (7 days), refreshed by plex-auth token',
    },
  },
  async run(args, session) {
    if (args.login && !args.password) throw usageError('--login goes with --password')
    // Checked before anything is asked: plain http to another machine is refused (exit 2).
    const urls = session.signInUrls()
    const profile = session.store.ensure(session.profileName)
    // Quirk: plex.tv refuses password and PIN sign-in under a client identifier it issued a Plex JWT to
    // (clambin/mediaclients plex/plextv/auth_jwt.go): such a profile signs in again as a new device.
    const clientIdentifier = jwtWasIssued(profile) ? newClientIdentifier() : profile.clientIdentifier
    const options = session.clientOptions({ ...profile, clientIdentifier }, urls)
    // A new key per sign-in: the private key is the long-lived secret, kept only in the profile.
    const deviceKey = args.jwt ? await generateDeviceKey() : undefined
    let signIn = args.password
      ? await passwordSignIn(session, options, args.login)
      : await pinSignIn(session, options, args.browser !== false, deviceKey, urls.app)
    if (deviceKey && !signIn.deviceKey) {
      try {
        signIn = await upgradeToJwt(options, signIn, deviceKey)
      } catch (error) {
        // The plex.tv token from the password sign-in still works: keep it rather than lose it.
        session.store.save(session.profileName, storedProfile(clientIdentifier, signIn, urls))
        const reason = isPlexErrorLike(error) ? cliErrorFromPlex(error, 'sign-in').message : String(error)
        throw new CliError(
          `Signed in, but plex.tv did not take the device key (${reason}); the profile keeps a plex.tv token`,
          { code: isPlexErrorLike(error) ? error.code : 'error', cause: error },
        )
      }
    }
    const stored = storedProfile(clientIdentifier, signIn, urls)
    // Stored before anything else can fail: the new token retired the previous one of this device at Plex.
    session.store.save(session.profileName, stored)
    if (clientIdentifier !== profile.clientIdentifier) {
      // The old device's tokens (its Plex JWT, and a Home user's token after a switch) would otherwise stay
      // valid, the JWT for up to 7 days: best effort, like logout.
      const old = session.clientOptions(profile)
      for (const token of [profile.token, profile.original?.token]) {
        if (token) await signOut({ ...old, token }).catch(() => undefined)
      }
    }
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

/**
 * Whether plex.tv issued a Plex JWT to the profile's client identifier: marked since this version, and
 * read from what older profiles hold (a JWT, its device key, or one kept through a Home switch).
 */
function jwtWasIssued(profile: StoredProfile): boolean {
  return (
    profile.jwtIssued === true ||
    profile.tokenType === 'jwt' ||
    profile.deviceKey !== undefined ||
    profile.original?.tokenType === 'jwt'
  )
}

interface SignIn {
  token: string
  method: 'pin' | 'password'
  account?: StoredAccount
  /** Set when the token is a Plex JWT issued for this key. */
  deviceKey?: PlexDeviceKey
  expiresAt?: string
}

function storedProfile(clientIdentifier: string, signIn: SignIn, urls: BaseUrls): StoredProfile {
  return {
    clientIdentifier,
    token: signIn.token,
    tokenType: signIn.deviceKey ? 'jwt' : 'legacy',
    ...(signIn.deviceKey ? { jwtIssued: true } : {}),
    ...(signIn.expiresAt ? { expiresAt: signIn.expiresAt } : {}),
    ...(signIn.deviceKey ? { deviceKey: signIn.deviceKey } : {}),
    method: signIn.method,
    urls: { ...urls },
    signedInAt: new Date().toISOString(),
  }
}

/**
 * A password sign-in made into a JWT one: the key is registered with the new plex.tv token, then a Plex JWT
 * is issued for it (which retires that plex.tv token, as Plex documents).
 */
async function upgradeToJwt(
  options: PlexClientOptions,
  signIn: SignIn,
  deviceKey: PlexDeviceKey,
): Promise<SignIn> {
  await registerDeviceKey({ ...options, token: signIn.token, deviceKey })
  const jwt = await refreshPlexJwt({ ...options, deviceKey })
  return { ...signIn, token: jwt.token, expiresAt: jwt.expiresAt, deviceKey }
}

function finish(session: Session, account: StoredAccount | undefined, stored: StoredProfile): void {
  const { ui } = session
  const kind = stored.tokenType === 'jwt' ? 'Plex JWT' : 'Token'
  ui.success(
    `Signed in as ${ui.bold(accountLabel(account))}. ${kind} stored for profile "${session.profileName}" in ${session.store.path}`,
  )
  if (session.json) {
    ui.json({
      profile: session.profileName,
      account: account ?? null,
      tokenType: stored.tokenType,
      ...(stored.expiresAt ? { expiresAt: stored.expiresAt } : {}),
      method: stored.method,
      credentialsPath: session.store.path,
    })
  }
}

async function pinSignIn(
  session: Session,
  options: PlexClientOptions,
  wantBrowser: boolean,
  deviceKey: PlexDeviceKey | undefined,
  appUrl: string,
): Promise<SignIn> {
  const { ui } = session
  // With a key, the PIN yields a Plex JWT for it, and each poll proves possession of the key.
  const withKey = deviceKey ? { ...options, deviceKey } : options
  const pin = await withPlexContext('pin', () => createPin({ ...withKey, strong: true }))
  const url = buildAuthUrl({
    clientIdentifier: options.clientIdentifier,
    product: PRODUCT,
    code: pin.code,
    appUrl,
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
  if (!spinner.active) {
    ui.say(`Waiting for approval (the code expires at ${new Date(expiresAt).toISOString()})`)
  }
  try {
    const token = await pollPin(withKey, pin.id, expiresAt, controller.signal, (text) =>
      spinner.message(text),
    )
    if (!deviceKey) return { token, method: 'pin' }
    const jwtExpiresAt = jwtExpiry(token)
    return { token, method: 'pin', deviceKey, ...(jwtExpiresAt ? { expiresAt: jwtExpiresAt } : {}) }
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
  options: PlexClientOptions & { deviceKey?: PlexDeviceKey },
  id: number,
  expiresAt: number,
  signal: AbortSignal,
  progress: (text: string) => void,
): Promise<string> {
  let delay = POLL_INTERVAL_MS
  for (;;) {
    try {
      await sleep(delay, undefined, { signal })
    } catch {
      throw cancelled()
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
      if (signal.aborted) throw cancelled()
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
      throw cancelled()
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
