// Running the project's commands from tests: the repository root and its node_modules/.bin tools.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

export const root = join(import.meta.dirname, '..')

/** execFile as a promise: resolves with stdout and stderr, rejects with the exit code on failure. */
export const run = promisify(execFile)

/** A tool installed by npm (tsx, deno, bun, ...). */
export const bin = (name: string): string => join(root, 'node_modules/.bin', name)
