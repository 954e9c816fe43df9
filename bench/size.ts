// Size benchmark: the four operations bundled, minified and gzipped, beside @lukehagar/plexjs@0.39.0
// (the last release with the same four Authentication operations) bundled the same way with esbuild.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

export interface SizeRow {
  name: string
  minified: number
  gzipped: number
}

const entries: Record<string, string> = {
  '@plex-auth/core (four operations)': `export { getTransientToken, getSourceConnectionInformation, getTokenDetails, postUsersSignInData, PlexError } from './packages/core/src/index.ts'`,
  '@plex-auth/core (everything: client, PIN, resources, sign-out, JWT, Home, ping)': `export * from './packages/core/src/index.ts'`,
  '@plex-auth/worker/client (typed client for frontends)': `export * from './packages/worker/src/client/client.ts'`,
  // plexjs's standalone functions are its smallest way to the four operations: only what they import is kept.
  '@lukehagar/plexjs@0.39.0 (four standalone funcs + core)': `
    export { PlexAPICore } from '@lukehagar/plexjs/core.js'
    export { authenticationGetTransientToken } from '@lukehagar/plexjs/funcs/authenticationGetTransientToken.js'
    export { authenticationGetSourceConnectionInformation } from '@lukehagar/plexjs/funcs/authenticationGetSourceConnectionInformation.js'
    export { authenticationGetTokenDetails } from '@lukehagar/plexjs/funcs/authenticationGetTokenDetails.js'
    export { authenticationPostUsersSignInData } from '@lukehagar/plexjs/funcs/authenticationPostUsersSignInData.js'`,
  '@lukehagar/plexjs@0.39.0 (PlexAPI class, as its README uses it)': `export { PlexAPI } from '@lukehagar/plexjs'`,
}

/** One entry (module source) bundled for the browser like every size row: esbuild, minified ESM, gzip -9. */
export async function bundleSize(
  contents: string,
): Promise<{ code: Uint8Array; minified: number; gzipped: number }> {
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['@plex-auth/source'],
    write: false,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.contents ?? new Uint8Array()
  return { code, minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength }
}

/** Bundles each entry for the browser (ESM, minified) and returns raw and gzipped byte counts. */
export async function measureSizes(): Promise<SizeRow[]> {
  const rows: SizeRow[] = []
  for (const [name, contents] of Object.entries(entries)) {
    const { minified, gzipped } = await bundleSize(contents)
    rows.push({ name, minified, gzipped })
  }
  return rows
}
