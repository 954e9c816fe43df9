// `plex-auth login`: PIN sign-in by default (no password ever touches plex-auth), or --password; with --jwt
// the device holds an Ed25519 key and the token is a Plex JWT, which `plex-auth token` refreshes. The PIN is
// a link to click (opened in the browser), or, with --code or when no browser can be opened here (SSH, no
// display, no terminal, CI), a short code typed at plex.tv/link on any device.
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
import { bigCode, bigCodeWidth } from '../big-code.ts'
import { noBrowserReason, openBrowser } from '../browser.ts'
import { defineCliCommand } from '../command.ts'
import { newClientIdentifier, type StoredAccount, type StoredProfile } from '../credentials.ts'
import { CliError, cancelled, EXIT, usageError } from '../exit.ts'
import { jwtExpiry } from '../jwt.ts'
import type { Ui } from '../output.ts'
import { cliErrorFromPlex, isPlexErrorLike, withPlexContext } from '../plex-error-text.ts'
import { globalArgs, PRODUCT, type Session } from '../session.ts'
import { startSpinner } from '../spinner.ts'

/** What a PIN code may be made of: printable ASCII (Plex's are letters and digits), no spaces. */
const PRINTABLE_CODE = /^[\x21-\x7e]{1,64}$/

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
      description:
        'Open the approval page in the browser; the short code instead when none can be opened (SSH, no display, CI)',
      negativeDescription: 'Only print the link, for a browser elsewhere (not the short code)',
    },
    code: {
      type: 'boolean',
      description:
        'Show a short code to type at plex.tv/link on any device (phone, another computer): for SSH and TVs',
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
    if (args.code && args.password) {
      throw usageError('--code signs in with a short code, --password with a password: pick one')
    }
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
      : await pinSignIn(session, options, choosePinFlow(args, session.ui), deviceKey, urls)
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

/**
 * How the PIN reaches the person: a link to app.plex.tv (strong PIN, opened in the browser when asked), or
 * a short code for plex.tv/link (non-strong PIN). `retry` is the command line an expired code points to;
 * `fallback` says why the default login uses the short code (no browser can be opened here).
 */
type PinFlow = { kind: 'link'; openBrowser: boolean } | { kind: 'code'; retry: string; fallback?: string }

/** --code asks for the short code; the default falls back to it, and says why, when no browser can open. */
function choosePinFlow(args: { code?: boolean; browser?: boolean }, ui: Ui): PinFlow {
  if (args.code) return { kind: 'code', retry: 'plex-auth login --code' }
  // An explicit --no-browser keeps its meaning: print the link, for a browser somewhere else.
  if (args.browser === false) return { kind: 'link', openBrowser: false }
  const reason = noBrowserReason(ui.streams.env, ui.interactive)
  if (!reason) return { kind: 'link', openBrowser: true }
  return { kind: 'code', retry: 'plex-auth login', fallback: reason }
}

async function pinSignIn(
  session: Session,
  options: PlexClientOptions,
  flow: PinFlow,
  deviceKey: PlexDeviceKey | undefined,
  urls: BaseUrls,
): Promise<SignIn> {
  const { ui } = session
  // With a key, the PIN yields a Plex JWT for it, and each poll proves possession of the key.
  const withKey = deviceKey ? { ...options, deviceKey } : options
  // plexapi.dev "Get a PIN": strong codes are for the auth-app link, non-strong ones for plex.tv/link.
  const strong = flow.kind === 'link'
  const pin = await withPlexContext('pin', () => createPin({ ...withKey, strong }))
  // The code is printed to a terminal: a plex.tv stand-in must not get escape sequences onto it.
  if (!PRINTABLE_CODE.test(pin.code)) {
    throw new CliError('Plex sent a PIN code plex-auth does not understand', { code: 'invalid_response' })
  }
  if (flow.kind === 'code') {
    // Said once the PIN exists, so that a plex.tv that cannot be reached is still a one-line error.
    if (flow.fallback) {
      ui.say(`No browser can be opened here (${flow.fallback}): sign in with a short code instead.`)
    }
    showShortCode(ui, pin.code, `${urls.plexTv}/link`, !session.json)
  } else {
    const url = buildAuthUrl({
      clientIdentifier: options.clientIdentifier,
      product: PRODUCT,
      code: pin.code,
      appUrl: urls.app,
    })
    ui.say(`Open this link and allow ${ui.bold(PRODUCT)} to use your Plex account:`)
    ui.say(`  ${ui.cyan(url)}`)
    ui.say(`Code: ${ui.bold(pin.code)}`)
    if (flow.openBrowser && openBrowser(url, ui.streams.env)) {
      ui.say(ui.dim('Opening your browser; if none opens, open the link yourself.'))
    }
  }
  const retry = flow.kind === 'code' ? flow.retry : 'plex-auth login'
  const expiresAt = expiry(pin)
  const controller = new AbortController()
  const onInterrupt = (): void => controller.abort()
  process.once('SIGINT', onInterrupt)
  const spinner = startSpinner(ui, waitingText(expiresAt))
  if (!spinner.active) {
    ui.say(`Waiting for approval (the code expires at ${new Date(expiresAt).toISOString()})`)
  }
  try {
    const token = await pollPin(withKey, pin.id, expiresAt, retry, controller.signal, (text) =>
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

/**
 * The short code and where to type it. On a terminal the code is also drawn in block letters, to be read
 * from across the room; the `Code: ...` line is always there, plain, for copying and for scripts.
 */
function showShortCode(ui: Ui, code: string, linkUrl: string, large: boolean): void {
  ui.say(`On any device (phone, computer), open ${ui.cyan(linkUrl)} and enter this code:`)
  const stderr = ui.streams.stderr
  const art = large && stderr.isTTY === true && ui.streams.env.TERM !== 'dumb' ? bigCode(code) : undefined
  // A terminal whose width is unknown is taken to be 80 columns; a narrower one gets the plain line only.
  if (art && INDENT.length + bigCodeWidth(code.length) <= (stderr.columns || 80)) {
    ui.say()
    for (const line of art) ui.say(`${INDENT}${line}`)
    ui.say()
  }
  ui.say(`Code: ${ui.bold(code)}`)
}

const INDENT = '    '

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
  retry: string,
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
    if (Date.now() > expiresAt) throw codeExpired(retry)
    try {
      const state = await checkPin({ ...options, id, signal })
      if (state.authToken) return state.authToken
      delay = POLL_INTERVAL_MS
      progress(waitingText(expiresAt))
    } catch (error) {
      if (signal.aborted) throw cancelled()
      // 404 code 1020: the PIN expired at Plex (or was never this device's).
      if (isPlexErrorLike(error, 'not_found')) throw codeExpired(retry, error)
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

function codeExpired(retry: string, cause?: unknown): CliError {
  return new CliError(`The code expired before it was approved: run ${retry} again`, {
    code: 'not_found',
    ...(cause === undefined ? {} : { cause }),
  })
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
