// The worker's secrets, made on this machine: generateKey() for TOKEN_ENCRYPTION_KEY (scripts/deploy.mjs
// hands it to `wrangler secret put`), and ensureDevVars() for the local `.dev.vars` that `wrangler dev`
// reads (the only file a key is ever written to). WebCrypto only, so the same code runs anywhere.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Secrets the worker needs, each with how it is made. */
export const REQUIRED_SECRETS = ['TOKEN_ENCRYPTION_KEY']

/** 32 random bytes from WebCrypto, base64: the format TOKEN_ENCRYPTION_KEY takes. */
export function generateKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return btoa(String.fromCharCode(...bytes))
}

/**
 * Writes `<root>/.dev.vars` (mode 0600, git-ignored) with a fresh TOKEN_ENCRYPTION_KEY unless the file
 * already has one; a key already there is never replaced (local sessions stay readable).
 * @returns whether a key was written
 */
export function ensureDevVars(root) {
  const path = join(root, '.dev.vars')
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : undefined
  if (existing !== undefined && /^TOKEN_ENCRYPTION_KEY=/m.test(existing)) return false
  const lines = existing
    ? [existing.replace(/\n*$/, ''), `TOKEN_ENCRYPTION_KEY=${generateKey()}`, '']
    : [
        '# Local secrets for `wrangler dev`, created by scripts/secrets.mjs. Git-ignored; never commit.',
        `TOKEN_ENCRYPTION_KEY=${generateKey()}`,
        '',
      ]
  writeFileSync(path, lines.join('\n'), { mode: 0o600 })
  return true
}
