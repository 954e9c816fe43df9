import { ProblemError } from './problem.ts'
import { type Keyring, open, randomToken, seal, sha256 } from './token-crypto.ts'

/*
 * The only module that reads or writes KV. Layout (documented with examples in STORAGE.md):
 *   session:<sha256(session token)>                     one session: its Plex token and device
 *   transient:<session hash>:<sha256(server target)>    a cached transient token
 *   servers:<session hash>                              servers discovered for a session
 *   pin:<Plex PIN id>                                   a PIN sign-in in progress: who may claim it (hashed)
 * Keys never carry a secret; every value is sealed whole with AES-GCM bound to its key; no metadata.
 * Expirations are absolute (computed once) and at least 60 s ahead (KV's minimum TTL).
 */

/** KV's minimum TTL: a write that would expire sooner is refused. */
export const MIN_TTL_SECONDS = 60

/** How a session got its Plex token: the worker revokes at sign-out only tokens it obtained itself. */
export type SessionSource = 'password' | 'pin' | 'exchange'

/** The Plex device a session or a PIN acts as: its own X-Plex-Client-Identifier, and the name users see. */
export interface PlexDevice {
  clientIdentifier: string
  deviceName: string
}

/**
 * A session opened by a Plex Home switch (POST /v1/home/switch): `plexToken` is the Home user's, and the
 * token it was switched from travels sealed with it, so a switch back needs no PIN.
 */
export interface HomeLink {
  /** The token of the account the switch started from (the Home's admin, as a rule). */
  adminToken: string
  adminUuid: string
  /** The Home user `plexToken` speaks for. */
  userUuid: string
}

/** A valid session, opened. */
export interface Session extends PlexDevice {
  hash: string
  plexToken: string
  source: SessionSource
  createdAt: number
  /** ms since the epoch */
  expiresAt: number
  /** Set when the session came from a Plex Home switch. */
  home?: HomeLink
}

/** A server discovered through plex.tv's resources, with its own access token. */
export interface KnownServer {
  clientIdentifier: string
  name: string
  owned: boolean
  accessToken: string | undefined
  connections: { uri: string; local: boolean; relay: boolean }[]
}

/** A PIN sign-in in progress, and the device it was created as. */
export interface PendingPin extends PlexDevice {
  id: string
  pollTokenHash: string
  /** ms since the epoch, when Plex lets the PIN expire */
  expiresAt: number
}

// What each value holds before it is sealed whole. `v` changes when a shape does.
type StoredSession = { v: 2 } & Omit<Session, 'hash'>
type StoredServers = { v: 2; servers: KnownServer[]; updatedAt: number }
type StoredPin = { v: 2 } & Omit<PendingPin, 'id'>
type StoredTransient = { v: 2; token: string; expiresAt: number }

const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/

export const keys = {
  session: (sessionHash: string) => `session:${sessionHash}`,
  transientPrefix: (sessionHash: string) => `transient:${sessionHash}:`,
  transient: async (sessionHash: string, target: string) =>
    `transient:${sessionHash}:${await sha256(target)}`,
  servers: (sessionHash: string) => `servers:${sessionHash}`,
  pin: (pinId: string) => `pin:${pinId}`,
}

/** The storage of one request: KV, the keyring and the clock. */
export interface SessionStore {
  createSession(
    input: PlexDevice & { plexToken: string; source: SessionSource; ttlSeconds: number; home?: HomeLink },
  ): Promise<{ token: string; session: Session }>
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
 * Creates the store for one request. Every value is sealed whole (AES-GCM, the KV key as additional
 * data), so nobody with write access to the namespace but without the key can forge or move one.
 * @example const store = createSessionStore(env.PLEX_AUTH_KV, ring, Date.now, { sessionCacheSeconds: 10 })
 */
export function createSessionStore(
  kv: KVNamespace,
  ring: Keyring,
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

  /** Seals a record whole under its key and writes it, with no metadata (nothing in plaintext). */
  const write = async (k: string, record: object, expiration: number): Promise<void> => {
    await kv.put(k, await seal(ring, JSON.stringify(record), k), { expiration })
  }

  /** Best effort: a cache write may fail (KV allows one write per second per key) without failing the request. */
  const tryWrite = async (k: string, record: object, expiration: number): Promise<boolean> => {
    try {
      await write(k, record, expiration)
      return true
    } catch {
      return false
    }
  }

  /** Opens a sealed value read from `k`; undefined when absent, tampered, moved, or of another shape. */
  const read = async <T extends { v: 2 }>(
    k: string,
    sealed: string | null,
  ): Promise<{ record: T; stale: boolean } | undefined> => {
    if (sealed === null) return undefined
    const opened = await open(ring, sealed, k)
    if (!opened) return undefined
    try {
      const record = JSON.parse(opened.plaintext) as T
      return record && typeof record === 'object' && record.v === 2
        ? { record, stale: opened.stale }
        : undefined
    } catch {
      return undefined
    }
  }

  return {
    async createSession({ plexToken, source, ttlSeconds, clientIdentifier, deviceName, home }) {
      const token = randomToken()
      const hash = await sha256(token)
      const createdAt = now()
      const expiration = expirationOf(createdAt + ttlSeconds * 1000)
      if (expiration === undefined)
        throw new ProblemError('misconfigured', 'The session lifetime is too short.')
      const session: Session = {
        hash,
        plexToken,
        source,
        createdAt,
        expiresAt: expiration * 1000,
        clientIdentifier,
        deviceName,
        ...(home ? { home } : {}),
      }
      const { hash: _key, ...stored } = session
      await write(keys.session(hash), { v: 2, ...stored } satisfies StoredSession, expiration)
      return { token, session }
    },

    async getSession(token) {
      if (!SESSION_TOKEN.test(token)) return undefined
      const hash = await sha256(token)
      const k = keys.session(hash)
      const opened = await read<StoredSession>(k, await readSession(k))
      if (!opened) return undefined
      const { v: _version, ...stored } = opened.record
      if (typeof stored.plexToken !== 'string' || !(stored.expiresAt > now())) return undefined
      // A value sealed with a previous key is not re-sealed here: a write on read could bring back a
      // session that a sign-out deleted while this read was in flight (KV is eventually consistent).
      return { hash, ...stored }
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
      const stored = (await read<StoredTransient>(k, await kv.get(k)))?.record
      if (!stored || typeof stored.token !== 'string' || !(stored.expiresAt > now())) return undefined
      return { token: stored.token, expiresAt: stored.expiresAt }
    },

    async putTransientToken(session, target, token, expiresAt) {
      const expiration = expirationOf(Math.min(expiresAt, session.expiresAt))
      if (expiration === undefined) return false
      const k = await keys.transient(session.hash, target)
      const stored: StoredTransient = { v: 2, token, expiresAt: expiration * 1000 }
      return tryWrite(k, stored, expiration)
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
      const stored: StoredServers = { v: 2, updatedAt: now(), servers }
      return tryWrite(keys.servers(session.hash), stored, expiration)
    },

    async getServers(session) {
      const k = keys.servers(session.hash)
      const stored = (await read<StoredServers>(k, await kv.get(k)))?.record
      return stored && Array.isArray(stored.servers) ? stored.servers : undefined
    },

    async createPin({ id, ...pin }) {
      // Kept 10 minutes past Plex's expiry so a late poll still learns "expired" rather than "unknown".
      const expiration = expirationOf(Math.max(pin.expiresAt, now()) + 600_000)
      if (expiration === undefined)
        throw new ProblemError('upstream_invalid_response', 'Plex sent an invalid PIN.')
      await write(keys.pin(id), { v: 2, ...pin } satisfies StoredPin, expiration)
    },

    async getPin(id) {
      const k = keys.pin(id)
      const stored = (await read<StoredPin>(k, await kv.get(k)))?.record
      if (!stored || typeof stored.pollTokenHash !== 'string') return undefined
      const { v: _version, ...pin } = stored
      return { id, ...pin }
    },

    async deletePin(id) {
      await kv.delete(keys.pin(id))
    },
  }
}
