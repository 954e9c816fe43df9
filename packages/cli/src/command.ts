// How a command is written: citty argument definitions (the global ones included), and a run that gets
// the parsed arguments and the session. Each command is its own module, loaded only when it runs.
import type { ArgsDef, CommandMeta, ParsedArgs } from 'citty'
import type { Session } from './session.ts'

export interface CliCommand<Args extends ArgsDef = ArgsDef> {
  meta: CommandMeta & { name: string; description: string }
  args: Args
  /** Resolves to the exit code (0 when nothing is returned). */
  run(args: ParsedArgs<Args>, session: Session): Promise<number | undefined>
}

export function defineCliCommand<const Args extends ArgsDef>(command: CliCommand<Args>): CliCommand<Args> {
  return command
}
