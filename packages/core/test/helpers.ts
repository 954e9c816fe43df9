import { createFakePlex, type FakePlex, type FakePlexOptions, type SeedAccount } from '@plex-auth/fake-plex'
import { expect } from 'vitest'
import { isPlexError, type PlexClientOptions, type PlexError, type PlexErrorCode } from '../src/index.ts'

export const CLIENT_ID = 'my-app-install-1'
export const PRODUCT = 'My App'

export interface Setup {
  fake: FakePlex
  /** Client options wired to the fake, with tiny retry delays so the suite stays fast. */
  options: PlexClientOptions & { fetch: FakePlex['fetch'] }
  alice: SeedAccount
  bob: SeedAccount
  carol: SeedAccount
  /** Alice's main server (has three connections, one unreachable). */
  mainServer: FakePlex['servers'][number]
  cabinServer: FakePlex['servers'][number]
}

export function setup(fakeOptions?: FakePlexOptions): Setup {
  const fake = createFakePlex(fakeOptions)
  const account = (login: string): SeedAccount => {
    const found = fake.accounts.find((entry) => entry.login === login)
    if (!found) throw new Error(`seed has no ${login}`)
    return found
  }
  const [mainServer, cabinServer] = fake.servers
  if (!mainServer || !cabinServer) throw new Error('seed has fewer than two servers')
  return {
    fake,
    options: {
      clientIdentifier: CLIENT_ID,
      product: PRODUCT,
      fetch: fake.fetch,
      retry: { minDelayMs: 1, maxDelayMs: 4 },
    },
    alice: account('alice'),
    bob: account('bob'),
    carol: account('carol'),
    mainServer,
    cabinServer,
  }
}

/** The PlexError a promise rejects with; fails the test if it resolves or rejects with something else. */
export async function plexErrorOf(promise: Promise<unknown>, code?: PlexErrorCode): Promise<PlexError> {
  let caught: unknown
  try {
    await promise
  } catch (error) {
    caught = error
  }
  expect(isPlexError(caught), `expected a PlexError, got ${String(caught)}`).toBe(true)
  const error = caught as PlexError
  if (code) expect(error.code, error.message).toBe(code)
  return error
}

/** Everything a log line could show of an error: message, JSON, cause chain, stack. */
export function everythingPrintable(error: PlexError): string {
  const parts = [error.message, JSON.stringify(error), String(error.stack)]
  let cause: unknown = error.cause
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    parts.push(String(cause))
    if (cause instanceof Error) {
      parts.push(cause.message, String(cause.stack))
      cause = cause.cause
    } else {
      parts.push(JSON.stringify(cause) ?? '')
      cause = undefined
    }
  }
  return parts.join('\n')
}
