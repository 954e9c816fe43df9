#!/usr/bin/env node
// The plex-auth binary. Everything is in main.ts; this file only wires it to the process.
import { main } from './main.ts'
import { flush } from './output.ts'

const streams = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }
// `plex-auth servers | head -1`: a reader that stops early is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})
const code = await main(process.argv.slice(2), streams)
// Exit now (idle keep-alive sockets and stdin must not hold the process), once the output is out.
await Promise.all([flush(process.stdout), flush(process.stderr)])
process.exit(code)
