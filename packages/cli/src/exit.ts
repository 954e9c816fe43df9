/** The exit codes of plex-auth, documented in README.md; scripts rely on them, so they never change. */
export const EXIT = {
  ok: 0,
  /** Anything that went wrong: Plex refused, the network failed, a file could not be written. */
  error: 1,
  /** The command line was wrong: unknown command or option, missing argument, no terminal to prompt on. */
  usage: 2,
  /** No stored token for the profile, or plex.tv says the stored one is no longer valid. */
  notSignedIn: 3,
  /** Ctrl-C at a prompt or while waiting for approval (128 + SIGINT, as shells do). */
  interrupted: 130,
} as const

/** An error meant for the person at the terminal: its message is the one line printed, as it is. */
export class CliError extends Error {
  override readonly name = 'CliError'
  readonly exitCode: number
  /** Shown in brackets after the message and as `code` in --json errors. */
  readonly code: string

  constructor(message: string, options: { exitCode?: number; code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.exitCode = options.exitCode ?? EXIT.error
    this.code = options.code ?? 'error'
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, { exitCode: EXIT.usage, code: 'usage' })
}

/** Ctrl-C at a prompt or while waiting (exit 130). */
export function cancelled(): CliError {
  return new CliError('Cancelled', { exitCode: EXIT.interrupted, code: 'interrupted' })
}

export function notSignedIn(profile: string): CliError {
  return new CliError(`Not signed in (profile "${profile}"): run plex-auth login`, {
    exitCode: EXIT.notSignedIn,
    code: 'not_signed_in',
  })
}
