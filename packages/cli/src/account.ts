// The account fields plex-auth shows and stores: an allowlist, so a token (`authToken`) or the secrets in
// `services[]` never reach a file's `account`, the terminal or --json output.
import type { StoredAccount } from './credentials.ts'

export function accountSummary(account: Record<string, unknown>): StoredAccount {
  const summary: StoredAccount = {}
  if (typeof account.id === 'number') summary.id = account.id
  if (typeof account.uuid === 'string') summary.uuid = account.uuid
  if (typeof account.username === 'string' || account.username === null) summary.username = account.username
  if (typeof account.title === 'string') summary.title = account.title
  if (typeof account.email === 'string' || account.email === null) summary.email = account.email
  return summary
}

/** "alice (alice@example.com)", or the title of a managed Home user, who has neither. */
export function accountLabel(account: StoredAccount | undefined): string {
  if (!account) return 'an unknown account'
  const name = account.username || account.title || `account ${account.id ?? '?'}`
  return account.email ? `${name} (${account.email})` : name
}

/** What `whoami --json` shows: the summary plus the non-secret facts a script may branch on. */
export function accountDetails(account: Record<string, unknown>): Record<string, unknown> {
  const details: Record<string, unknown> = { ...accountSummary(account) }
  for (const key of [
    'friendlyName',
    'thumb',
    'locale',
    'joinedAt',
    'hasPassword',
    'twoFactorEnabled',
    'home',
    'homeAdmin',
    'restricted',
    'guest',
  ]) {
    if (account[key] !== undefined) details[key] = account[key]
  }
  const subscription = account.subscription as Record<string, unknown> | undefined
  if (subscription && typeof subscription === 'object') {
    details.subscription = {
      active: subscription.active,
      status: subscription.status,
      plan: subscription.plan,
    }
  }
  return details
}
