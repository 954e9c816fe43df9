// Turns a PlexError into the one line a person reads. Duck-typed on purpose: importing the core's
// isPlexError here would load the whole core on the `token` fast path just to print an error.
import { CliError, EXIT } from './exit.ts'

/** What a PlexError looks like from outside; the core's class has these fields and more. */
export interface PlexErrorLike extends Error {
  name: 'PlexError'
  code: string
  status?: number
  retryAfter?: number
}

export function isPlexErrorLike(value: unknown, ...codes: string[]): value is PlexErrorLike {
  return (
    value instanceof Error &&
    value.name === 'PlexError' &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (codes.length === 0 || codes.includes((value as unknown as { code: string }).code))
  )
}

/** What was being done when Plex answered: the same code reads differently in each. */
export type PlexErrorContext = 'sign-in' | 'stored-token' | 'pin' | 'server' | 'home'

/** The codes that mean a token is gone for good: sign in again (exit 3); as good as revoked for a logout. */
const TOKEN_GONE = ['unauthorized', 'token_expired', 'invalid_token']

/** A PlexError saying plex.tv no longer takes the token. */
export function isTokenGone(error: unknown): boolean {
  return isPlexErrorLike(error, ...TOKEN_GONE)
}

/** The friendly sentence for a PlexError code, or undefined for codes plex-auth does not know. */
export function describePlexError(error: PlexErrorLike, context: PlexErrorContext): string | undefined {
  switch (error.code) {
    case 'verification_code_required':
      return 'Plex wants a two-factor code'
    case 'locked_out':
      return 'This IP is locked out by Plex for a while after failed sign-ins: wait before trying again'
    case 'unauthorized':
      if (context === 'sign-in') return 'Plex did not accept the login, password or two-factor code'
      if (context === 'server') return 'The server did not accept the token'
      return 'Plex did not accept the stored token: sign in again with plex-auth login'
    case 'token_expired':
      return 'The stored Plex JWT has expired and could not be refreshed: sign in again with plex-auth login'
    case 'invalid_token':
      return 'Plex did not accept the stored token: sign in again with plex-auth login'
    case 'home_pin_required':
      return 'This Home user has a PIN: Plex wants the right one'
    case 'key_already_registered':
      return 'Plex says this device key belongs to another device'
    case 'jwt_not_accepted_by_server':
      return 'This profile holds a Plex JWT, which Plex Media Servers refuse: for servers you own, sign in again with plex-auth login (without --jwt); servers shared with you work either way'
    case 'rate_limited':
      return error.retryAfter === undefined
        ? 'Plex says there were too many requests: try again in a minute'
        : `Plex says there were too many requests: try again in ${error.retryAfter} s`
    case 'network_error':
      return context === 'server'
        ? 'Could not reach the server'
        : 'Could not reach Plex: check the connection'
    case 'timeout':
      return context === 'server' ? 'The server did not answer in time' : 'Plex did not answer in time'
    case 'upstream_error':
      return `Plex had a server error${error.status ? ` (HTTP ${error.status})` : ''}: try again later`
    case 'forbidden':
      return context === 'server'
        ? 'The server refused: this token may not do that'
        : 'Plex refused the request'
    case 'not_found':
      if (context === 'pin') return 'The code expired before it was approved: run plex-auth login again'
      return 'Plex does not know what was asked for'
    case 'invalid_response':
      return 'Plex sent an answer plex-auth does not understand'
    case 'aborted':
      return 'Cancelled'
    default:
      return undefined
  }
}

/** A CliError for a PlexError: the friendly line, the code in brackets, exit 3 when the token is gone. */
export function cliErrorFromPlex(error: PlexErrorLike, context: PlexErrorContext): CliError {
  const exitCode = context === 'stored-token' && isTokenGone(error) ? EXIT.notSignedIn : EXIT.error
  // The core's messages never contain a token or password, so they are safe as a fallback.
  const message = describePlexError(error, context) ?? error.message
  return new CliError(message, { exitCode, code: error.code, cause: error })
}

/** Runs `work`; a PlexError it throws becomes the CliError of `context`. */
export async function withPlexContext<T>(context: PlexErrorContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (isPlexErrorLike(error)) throw cliErrorFromPlex(error, context)
    throw error
  }
}
