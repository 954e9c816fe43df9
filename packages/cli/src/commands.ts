// The command table: names, one-line summaries and how to load each command. Loading is lazy so that
// `plex-auth token` never parses the code of `login` (prompts, the core's sign-in, the spinner).
import type { CliCommand } from './command.ts'

type Loader = () => Promise<{ default: CliCommand }>

export interface CommandEntry {
  summary: string
  load?: Loader
  subcommands?: Record<string, CommandEntry>
}

// `as unknown as Loader`: each module's default export is a CliCommand of its own argument types.
const lazy = (load: () => Promise<{ default: unknown }>): Loader => load as Loader

export const COMMANDS: Record<string, CommandEntry> = {
  login: {
    summary: 'Sign in: a code to approve in the browser (--password, --jwt)',
    load: lazy(() => import('./commands/login.ts')),
  },
  token: {
    summary: 'Print the stored token, for scripts (refreshes a Plex JWT first)',
    load: lazy(() => import('./commands/token.ts')),
  },
  whoami: { summary: 'The account behind the token', load: lazy(() => import('./commands/whoami.ts')) },
  servers: {
    summary: "The account's servers and their connections",
    load: lazy(() => import('./commands/servers.ts')),
  },
  'transient-token': {
    summary: 'A transient token from one of your servers (--server)',
    load: lazy(() => import('./commands/transient-token.ts')),
  },
  ping: { summary: 'Keep the token alive (run it daily)', load: lazy(() => import('./commands/ping.ts')) },
  home: {
    summary: 'Plex Home users: list them, switch to one',
    subcommands: {
      list: { summary: 'The users of your Plex Home', load: lazy(() => import('./commands/home-list.ts')) },
      switch: {
        summary: "Switch the profile's token to a Home user's",
        load: lazy(() => import('./commands/home-switch.ts')),
      },
    },
  },
  logout: {
    summary: 'Revoke the token at plex.tv and forget it',
    load: lazy(() => import('./commands/logout.ts')),
  },
}

/**
 * Options that take a value, across every command: while looking for the command's name, the word after
 * one of these is its value, not a command (`plex-auth --profile work token`). A test checks this list
 * against every command's arguments.
 */
export const VALUE_OPTIONS = new Set(['--profile', '--plex-tv-url', '--server', '--pin', '--login'])
