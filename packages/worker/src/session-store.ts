import { ProblemError } from './problem.ts'
import { openToken, randomToken, sealToken, sha256 } from './token-crypto.ts'

/*
 * The only module that reads or writes KV. Layout (documented with examples in STORAGE.md):
 *   session:<sha256(session token)>                     one session, its Plex token sealed
 *   transient:<session hash>:<sha256(server target)>    a cached transient token, sealed
 *   servers:<session hash>                              servers discovered for a session, access tokens sealed
 *   pin:<Plex PIN id>                                   a PIN sign-in in progress: who may claim it (hashed)
 * Keys never carry a secret; values seal every token with AES-GCM bound to their key; metadata is not secret.
 * Expirations are absolute (computed once) and at least 60 s ahead (KV's minimum TTL).
 */

/** KV's minimum TTL: a write that would expire sooner is refused. */
export const MIN_TTL_SECONDS = 60

/** How a session got its Plex token: the worker revokes at sign-out only tokens it obtained itself. */
export type SessionSource = 'password' | 'pin' | 'exchange'

/** A valid session, with its Plex token opened. */
export interface Session {
  hash: string
  plexToken: string
  source: SessionSource
  createdAt: number
  /** ms since the epoch */
  expiresAt: number
}

/** A server discovered through plex.tv's resources, with its own access token opened. */
export interface KnownServer {
  clientIdentifier: string
  name: string
  owned: boolean
  accessToken: string | undefined
  connections: { uri: string; local: boolean; relay: boolean }[]
}

/** A PIN sign-in in progress. */
export interface PendingPin {
  id: string
  pollTokenHash: string
  /** ms since the epoch, when Plex lets the PIN expire */
  expiresAt: number
}

interface StoredSession {
  v: 1
  plexToken: string
  source: SessionSource
  createdAt: number
  expiresAt: number
}

interface StoredServers {
  v: 1
  servers: (Omit<KnownServer, 'accessToken'> & { accessToken?: string })[]
  updatedAt: number
}

interface StoredPin {
  v: 1
  pollTokenHash: string
  expiresAt: number
}

interface StoredTransient {
  v: 1
  token: string
  expiresAt: number
}

const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/

export const keys = {
  session: (sessionHash: string) => `session:${sessionHash}`,
  transientPrefix: (sessionHash: string) => `transient:${sessionHash}:`,
  transient: async (sessionHash: string, target: string) =>
    `transient:${sessionHash}:${await sha256(target)}`,
  servers: (sessionHash: string) => `servers:${sessionHash}`,
  pin: (pinId: string) => `pin:${pinId}`,
}

function parse<T extends { v: 1 }>(text: string | null): T | undefined {
  if (text === null) return undefined
  try {
    const value = JSON.parse(text) as T
    return value && typeof value === 'object' && value.v === 1 ? value : undefined
  } catch {
    return undefined
  }
}

/** The storage of one request: KV, the sealing key and the clock. */
export interface SessionStore {
  createSession(input: { plexToken: string; source: SessionSource; ttlSeconds: number }): Promise<{
    token: string
    session: Session
  }>
  getSession(token: string): Promise<Session | undefined>
  deleteSession(sessionHash: string): Promise<void>
  getTransientToken(
    session: Session,
    target: string,
  ): Promise<{ token: string; expiresAt: number } | undefined>
  putTransientToken(session: Session, target: string, token: string, expiresAt: number): Promise<boolean>
  deleteTransientToken(session: Session, target: string): Promise<void>
  putServers(session: Session, servers: KnownServer[]): Promise<boolean>
  getServers(session: Session): Promise<KnownServer[] | undefined>
  createPin(pin: PendingPin): Promise<void>
  getPin(id: string): Promise<PendingPin | undefined>
  deletePin(id: string): Promise<void>
}

/**
 * Session values read recently (still sealed), per KV namespace, kept for `SESSION_CACHE_SECONDS`.
 * The KV read is most of the cost of an authenticated request (bench/worker.ts), and Cloudflare bills
 * each one. Sign-out and a rejected token evict the entry in this isolate at once; another isolate may
 * still accept a deleted session until its entry ages out, which is shorter than the delay KV itself
 * has between locations (60 s or more).
 */
const recentSessionReads = new WeakMap<KVNamespace, Map<string, { value: string; until: number }>>()
const MAX_CACHED_SESSIONS = 10_000

/**
 * Creates the store for one request.
 * @example const store = createSessionStore(env.PLEX_AUTH_KV, key, Date.now, { sessionCacheSeconds: 10 })
 */
export function createSessionStore(
  kv: KVNamespace,
  key: CryptoKey,
  now: () => number,
  { sessionCacheSeconds = 0 }: { sessionCacheSeconds?: number } = {},
): SessionStore {
  const sessionReads = recentSessionReads.get(kv) ?? new Map()
  recentSessionReads.set(kv, sessionReads)
  /** The sealed session value: from this isolate's recent reads, else from KV (and then remembered). */
  const readSession = async (k: string): Promise<string | null> => {
    if (sessionCacheSeconds <= 0) return kv.get(k)
    const hit = sessionReads.get(k)
    if (hit && hit.until > now()) return hit.value
    const value = await kv.get(k)
    if (value === null) sessionReads.delete(k)
    else {
      if (sessionReads.size >= MAX_CACHED_SESSIONS) sessionReads.clear()
      sessionReads.set(k, { value, until: now() + sessionCacheSeconds * 1000 })
    }
    return value
  }

  /** Absolute expiration in seconds, or undefined when it would be under KV's minimum TTL. */
  const expirationOf = (expiresAtMs: number): number | undefined => {
    const expiration = Math.floor(expiresAtMs / 1000)
    return expiration - Math.ceil(now() / 1000) >= MIN_TTL_SECONDS ? expiration : undefined
  }

  /** Best effort: a cache write may fail (KV allows one write per second per key) without failing the request. */
  const tryPut = async (k: string, value: string, expiration: number, metadata: object): Promise<boolean> => {
    try {
      await kv.put(k, value, { expiration, metadata })
      return true
    } catch {
      return false
    }
  }

  return {
    async createSession({ plexToken, source, ttlSeconds }) {
      const token = randomToken()
      const hash = await sha256(token)
      const createdAt = now()
      const expiration = expirationOf(createdAt + ttlSeconds * 1000)
      if (expiration === undefined)
        throw new ProblemError(500, 'misconfigured', 'The session lifetime is too short.')
      const expiresAt = expiration * 1000
      const k = keys.session(hash)
      const stored: StoredSession = {
        v: 1,
        plexToken: await sealToken(key, plexToken, k),
        source,
        createdAt,
        expiresAt,
      }
      await kv.put(k, JSON.stringify(stored), { expiration, metadata: { source, expiresAt } })
      return { token, session: { hash, plexToken, source, createdAt, expiresAt } }
    },

    async getSession(token) {
      if (!SESSION_TOKEN.test(token)) return undefined
      const hash = await sha256(token)
      const k = keys.session(hash)
      const stored = parse<StoredSession>(await readSession(k))
      if (!stored || typeof stored.plexToken !== 'string' || !(stored.expiresAt > now())) return undefined
      const plexToken = await openToken(key, stored.plexToken, k)
      if (plexToken === undefined) return undefined
      return {
        hash,
        plexToken,
        source: stored.source,
        createdAt: stored.createdAt,
        expiresAt: stored.expiresAt,
      }
    },

    async deleteSession(sessionHash) {
      sessionReads.delete(keys.session(sessionHash))
      await kv.delete(keys.session(sessionHash))
      // Cached tokens and servers are only reachable through the session, so they are dead already; delete
      // them anyway. KV lists are eventually consistent: a key written seconds ago may be missed and then
      // simply expires (its expiration never outlives the session's).
      const cleanup: Promise<unknown>[] = [kv.delete(keys.servers(sessionHash))]
      try {
        const listed = await kv.list({ prefix: keys.transientPrefix(sessionHash) })
        for (const entry of listed.keys) cleanup.push(kv.delete(entry.name))
      } catch {
        // best effort, see above
      }
      await Promise.allSettled(cleanup)
    },

    async getTransientToken(session, target) {
      const k = await keys.transient(session.hash, target)
      const stored = parse<StoredTransient>(await kv.get(k))
      if (!stored || typeof stored.token !== 'string' || !(stored.expiresAt > now())) return undefined
      const token = await openToken(key, stored.token, k)
      return token === undefined ? undefined : { token, expiresAt: stored.expiresAt }
    },

    async putTransientToken(session, target, token, expiresAt) {
      const expiration = expirationOf(Math.min(expiresAt, session.expiresAt))
      if (expiration === undefined) return false
      const k = await keys.transient(session.hash, target)
      const stored: StoredTransient = {
        v: 1,
        token: await sealToken(key, token, k),
        expiresAt: expiration * 1000,
      }
      return tryPut(k, JSON.stringify(stored), expiration, { expiresAt: stored.expiresAt })
    },

    async deleteTransientToken(session, target) {
      try {
        await kv.delete(await keys.transient(session.hash, target))
      } catch {
        // the entry expires anyway
      }
    },

    async putServers(session, servers) {
      const expiration = expirationOf(session.expiresAt)
      if (expiration === undefined) return false
      const k = keys.servers(session.hash)
      const stored: StoredServers = {
        v: 1,
        updatedAt: now(),
        servers: await Promise.all(
          servers.map(async ({ accessToken, ...server }) =>
            accessToken === undefined
              ? server
              : {
                  ...server,
                  accessToken: await sealToken(key, accessToken, `${k}#${server.clientIdentifier}`),
                },
          ),
        ),
      }
      return tryPut(k, JSON.stringify(stored), expiration, { count: servers.length })
    },

    async getServers(session) {
      const k = keys.servers(session.hash)
      const stored = parse<StoredServers>(await kv.get(k))
      if (!stored || !Array.isArray(stored.servers)) return undefined
      return Promise.all(
        stored.servers.map(async (server) => ({
          ...server,
          accessToken:
            server.accessToken === undefined
              ? undefined
              : await openToken(key, server.accessToken, `${k}#${server.clientIdentifier}`),
        })),
      )
    },

    async createPin(pin) {
      // Kept 10 minutes past Plex's expiry so a late poll still learns "expired" rather than "unknown".
      const expiration = expirationOf(Math.max(pin.expiresAt, now()) + 600_000)
      if (expiration === undefined)
        throw new ProblemError(502, 'upstream_invalid_response', 'Plex sent an invalid PIN.')
      const stored: StoredPin = { v: 1, pollTokenHash: pin.pollTokenHash, expiresAt: pin.expiresAt }
      await kv.put(keys.pin(pin.id), JSON.stringify(stored), {
        expiration,
        metadata: { expiresAt: pin.expiresAt },
      })
    },

    async getPin(id) {
      const stored = parse<StoredPin>(await kv.get(keys.pin(id)))
      if (!stored || typeof stored.pollTokenHash !== 'string') return undefined
      return { id, pollTokenHash: stored.pollTokenHash, expiresAt: stored.expiresAt }
    },

    async deletePin(id) {
      await kv.delete(keys.pin(id))
    },
  }
}
