// Finds the command in argv, parses its options with citty, runs it, and turns every failure into one
// readable line and a documented exit code.
import { stripVTControlCharacters } from 'node:util'
import { type ArgsDef, type ParsedArgs, parseArgs, renderUsage } from 'citty'
import type { CliCommand } from './command.ts'
import { COMMANDS, type CommandEntry, VALUE_OPTIONS } from './commands.ts'
import { CliError, EXIT, usageError } from './exit.ts'
import { colorAllowed, type Streams, Ui } from './output.ts'
import { cliErrorFromPlex, isPlexErrorLike } from './plex-error-text.ts'
import { type GlobalArgValues, Session, VERSION } from './session.ts'

/** Runs plex-auth with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], streams: Streams): Promise<number> {
  let session: Session | undefined
  // Read before parsing, so that even a usage error honours them.
  const wantsJson = flagGiven(argv, '--json')
  const wantsDebug = flagGiven(argv, '--debug')
  try {
    const found = findCommand(argv)
    if (found.help) {
      streams.stdout.write(await helpText(found, streams))
      return EXIT.ok
    }
    if (found.version) {
      streams.stdout.write(`${VERSION}\n`)
      return EXIT.ok
    }
    const entry = found.entry
    if (!entry?.load) {
      throw usageError(
        found.names.length === 0
          ? 'No command given: see plex-auth --help'
          : `plex-auth ${found.names.join(' ')} needs a subcommand: see plex-auth ${found.names.join(' ')} --help`,
      )
    }
    const command = (await entry.load()).default
    const args = parseCommandArgs(command, found.rest, found.names.join(' '))
    session = new Session(args as GlobalArgValues, streams)
    // citty's ParsedArgs of the command's own definitions: what parseCommandArgs returned.
    return (await command.run(args as unknown as ParsedArgs, session)) ?? EXIT.ok
  } catch (error) {
    return report(error, streams, { json: wantsJson, debug: wantsDebug })
  }
}

interface FoundCommand {
  /** The command's words: ['token'], ['home', 'switch']. */
  names: string[]
  entry: CommandEntry | undefined
  /** argv without the command's words. */
  rest: string[]
  help: boolean
  version: boolean
}

/** Takes the command's words out of argv, wherever the global options are (`--profile x token`). */
function findCommand(argv: string[]): FoundCommand {
  const names: string[] = []
  const rest: string[] = []
  let entry: CommandEntry | undefined
  let level: Record<string, CommandEntry> | undefined = COMMANDS
  let help = false
  let version = false
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!
    if (word === '--') {
      rest.push(...argv.slice(i))
      break
    }
    if (word === '--help' || word === '-h') {
      help = true
      continue
    }
    if (word === '--version' && names.length === 0) {
      version = true
      continue
    }
    if (word.startsWith('-') && word !== '-') {
      rest.push(word)
      if (VALUE_OPTIONS.has(word) && i + 1 < argv.length) rest.push(argv[++i]!)
      continue
    }
    if (level) {
      const next: CommandEntry | undefined = Object.hasOwn(level, word) ? level[word] : undefined
      if (!next) {
        const where = names.length === 0 ? 'plex-auth' : `plex-auth ${names.join(' ')}`
        throw usageError(`Unknown command "${word}": see ${where} --help`)
      }
      names.push(word)
      entry = next
      level = next.subcommands
      continue
    }
    rest.push(word)
  }
  return { names, entry, rest, help, version }
}

/** citty's parse of the command's options, plus what citty lets through: unknown options, stray words. */
function parseCommandArgs(
  command: CliCommand,
  rest: string[],
  name: string,
): Record<string, unknown> & {
  _: string[]
} {
  const see = `see plex-auth ${name} --help`
  const known = new Map<string, string>()
  for (const [key, def] of Object.entries(command.args as ArgsDef)) {
    if (def.type === 'positional') continue
    known.set(key, def.type ?? 'string')
    if (def.type === 'boolean') known.set(`no-${key}`, 'boolean')
  }
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!
    if (word === '--') break
    if (!word.startsWith('-') || word === '-') continue
    if (!word.startsWith('--')) throw usageError(`Unknown option ${word}: ${see}`)
    const [flag = '', inlineValue] = word.slice(2).split(/=(.*)/s, 2)
    const type = known.get(flag)
    if (!type) throw usageError(`Unknown option --${flag}: ${see}`)
    if (type === 'string' && inlineValue === undefined) {
      const value = rest[i + 1]
      if (value === undefined || value.startsWith('-')) throw usageError(`--${flag} needs a value: ${see}`)
      i++
    }
  }
  let parsed: Record<string, unknown> & { _: string[] }
  try {
    parsed = parseArgs(rest, command.args as ArgsDef) as Record<string, unknown> & { _: string[] }
  } catch (error) {
    // citty's own errors (a missing positional) are usage errors; its message may carry colour codes.
    throw usageError(`${stripVTControlCharacters((error as Error).message)}: ${see}`)
  }
  const positionals = Object.values(command.args as ArgsDef).filter((def) => def.type === 'positional').length
  const stray = parsed._.slice(positionals).filter((word) => word !== '--')
  if (stray.length > 0) throw usageError(`Unexpected argument "${stray[0]}": ${see}`)
  return parsed
}

function flagGiven(argv: string[], flag: string): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes(flag)
}

async function helpText(found: FoundCommand, streams: Streams): Promise<string> {
  const color = colorAllowed(streams.stdout, streams.env)
  const entry = found.entry
  if (entry?.load) {
    const command = (await entry.load()).default
    const parentName = ['plex-auth', ...found.names.slice(0, -1)].join(' ')
    const usage = await renderUsage(
      { meta: command.meta, args: command.args as ArgsDef },
      { meta: { name: parentName } },
    )
    return `${color ? usage : stripVTControlCharacters(usage)}\n`
  }
  const table = entry?.subcommands ?? COMMANDS
  const prefix = ['plex-auth', ...found.names].join(' ')
  const width = Math.max(...Object.keys(table).map((name) => name.length)) + 2
  const lines = [
    `plex-auth ${VERSION}: a Plex token for scripts in one command`,
    '',
    `Usage: ${prefix} <command> [options]`,
    '',
    'Commands:',
    ...Object.entries(table).map(([name, sub]) => `  ${name.padEnd(width)}${sub.summary}`),
    '',
    'Options of every command:',
    '  --json               machine-readable JSON on stdout',
    '  --profile <name>     stored account to use (env PLEX_AUTH_PROFILE; default "default")',
    '  --plex-tv-url <url>  plex.tv base URL at login (env PLEX_TV_URL; PLEX_CLIENTS_URL for clients.plex.tv);',
    '                       later commands use the stored one and refuse another without --force-url',
    '  --debug              print the stack trace of an error',
    '  --help, --version',
    '',
    'Exit codes: 0 ok, 1 error, 2 usage, 3 not signed in (or the stored token is no longer valid).',
    `Run "${prefix} <command> --help" for a command's options.`,
  ]
  return `${lines.join('\n')}\n`
}

/** Prints the one line (and the stack with --debug); resolves to the exit code. */
function report(error: unknown, streams: Streams, options: { json: boolean; debug: boolean }): number {
  let failure: CliError
  if (error instanceof CliError) failure = error
  else if (isPlexErrorLike(error)) failure = cliErrorFromPlex(error, 'stored-token')
  else {
    const message = error instanceof Error ? error.message : String(error)
    failure = new CliError(message, { code: 'internal', cause: error })
  }
  const ui = new Ui(streams)
  ui.say(`${ui.red('plex-auth:')} ${failure.message} ${ui.dim(`(${failure.code})`)}`)
  if (options.debug) {
    for (let cause: unknown = failure; cause instanceof Error; cause = cause.cause) {
      ui.say(ui.dim(cause.stack ?? `${cause.name}: ${cause.message}`))
    }
  }
  if (options.json) {
    ui.json({ error: { code: failure.code, message: failure.message, exitCode: failure.exitCode } })
  }
  return failure.exitCode
}
