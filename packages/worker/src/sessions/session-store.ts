import type { AccessRole, PlexDeviceKey, ServerAccessEntry } from '@plex-auth/core'
import { ProblemError } from '../http/problem.ts'
import { type Keyring, open, randomToken, seal, sha256, toBase64url } from './token-crypto.ts'

/*
 * The only module that reads or writes KV. Layout (documented with examples in STORAGE.md):
 *   session:<sha256(session token)>                     one session: its Plex token and device; written once
 *   state:<session hash>                                what changes in a session: renewed JWT, last ping and use
 *   transient:<session hash>:<sha256(server target)>    a cached transient token
 *   servers:<session hash>                              servers discovered for a session
 *   pin:<Plex PIN id>                                   a PIN sign-in in progress: who may claim it (hashed)
 *   cron:keep-alive                                     where the keep-alive cron stopped (a list cursor)
 *   oidc:signing-key                                    the generated OIDC signing key (private JWK, sealed)
 * Keys never carry a secret; every value is sealed whole with AES-GCM bound to its key; no metadata.
 * Expirations are absolute (computed once) and at least 60 s ahead (KV's minimum TTL).
 * Which sessions an account has, and whether one is still alive, is the session lineage's (a Durable
 * Object, session-lineage.ts), not KV's: KV cannot say "consumed" or "ended everywhere" consistently.
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
  /** Whether the worker obtained `adminToken` (so revokes it at sign-out), or a frontend brought it. */
  adminTokenObtained?: boolean
  adminUuid: string
  /** The Home user `plexToken` speaks for. */
  userUuid: string
  /** When `adminToken` is a Plex JWT: its device key and expiry, renewed on the switch back. */
  adminJwt?: JwtCredentials
}

/** A Plex JWT session's own credentials: the device key that renews the JWT, and when the JWT expires. */
export interface JwtCredentials {
  /** The Ed25519 key of the session's device; its private half is the long-lived secret (no refresh token). */
  deviceKey: PlexDeviceKey
  /** ms since the epoch, the JWT's `exp` */
  expiresAt: number
}

/**
 * What the access policy (PLEX_ACCESS_SERVERS, PLEX_ACCESS_ROLES) found the session's user to be on the
 * policy's servers, and when it last asked plex.tv.
 */
export interface SessionAccess {
  role: AccessRole
  servers: ServerAccessEntry[]
  /** ms since the epoch */
  checkedAt: number
}

/** A valid session, opened. */
export interface Session extends PlexDevice {
  hash: string
  /**
   * Public and opaque (128 random bits): names the session in GET /v1/sessions and DELETE
   * /v1/sessions/{id}. Never the token. Absent on sessions created before sessions were listed.
   */
  id?: string
  /** A legacy Plex token, or a Plex JWT when `jwt` is set. */
  plexToken: string
  /**
   * Whether the worker obtained `plexToken` from plex.tv (sign-in, PIN, a Home switch), so revokes it at
   * sign-out, or a frontend brought it (POST /v1/sessions). Absent on older sessions: see obtainedTokens.
   */
  plexTokenObtained?: boolean
  source: SessionSource
  createdAt: number
  /** ms since the epoch */
  expiresAt: number
  /** The Plex account (its uuid) whose lineage lists this one (the admin's after a Home switch). */
  accountUuid?: string
  /** Set when `plexToken` is a Plex JWT (PIN sign-in with PLEX_TOKEN_KIND=jwt). */
  jwt?: JwtCredentials
  /** ms since the epoch: the last use recorded, at most once a day (keep-alive.ts). */
  lastUsedAt?: number
  /** ms since the epoch: the last keep-alive ping of a legacy token. */
  lastPingAt?: number
  /** Set when the session came from a Plex Home switch. */
  home?: HomeLink
  /** Set when an access policy is configured: checked at sign-in, then again every PLEX_ACCESS_RECHECK_SECONDS. */
  access?: SessionAccess
  /** Who the session acts for, as forward-auth names them to the apps behind a proxy. Absent on older sessions. */
  profile?: SessionProfile
}

/** The Plex user a session acts for: a managed Home user has no username (its title) and no email. */
export interface SessionProfile {
  uuid: string
  username: string
  email?: string
  /** Plex says the email address is confirmed (`confirmed`), for OIDC's `email_verified`. */
  emailVerified?: boolean
  /** The account's display name (Plex `title`), for OIDC's `name`. Absent on older sessions. */
  title?: string
  /** The avatar URL (Plex `thumb`), for OIDC's `picture`. Absent on older sessions. */
  thumb?: string
  /** The numeric Plex account id: the access policy checks a server listed as owned against it. */
  id?: number
}

/** A session its lineage lists: it has an id and an account (what requireSession puts on `c.var`). */
export type LiveSession = Session & { id: string; accountUuid: string }

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
  /** The device key the PIN was created with (PLEX_TOKEN_KIND=jwt): the PIN then yields a Plex JWT. */
  deviceKey?: PlexDeviceKey
}

/** What a new session is made of; the store adds its hash, id and times. */
export type CreateSessionInput = Omit<
  Session,
  'hash' | 'id' | 'createdAt' | 'expiresAt' | 'lastUsedAt' | 'lastPingAt'
> & {
  ttlSeconds: number
}

/** What the keep-alive may change in a session; everything else is written once, at sign-in. */
export type SessionChanges = Partial<
  Pick<Session, 'plexToken' | 'jwt' | 'lastUsedAt' | 'lastPingAt' | 'access'>
>

// What each value holds before it is sealed whole. `v` changes when a shape does.
type StoredSession = { v: 2 } & Omit<Session, 'hash'>
/**
 * A session's mutable state, apart from its `session:` key so that key is written once and a delete is
 * final: a late write of `state:` brings nothing back, as it counts only next to its session.
 */
type StoredState = {
  v: 2
  /** The renewed Plex JWT, and its `exp` (ms): absent until the first renewal, and on legacy sessions. */
  plexToken?: string
  jwtExpiresAt?: number
  lastPingAt?: number
  lastUsedAt?: number
  /** The last access check on use, when later than the session key's. */
  access?: SessionAccess
}
type StoredServers = { v: 2; servers: KnownServer[]; updatedAt: number }
type StoredPin = { v: 2 } & Omit<PendingPin, 'id'>
type StoredTransient = { v: 2; token: string; expiresAt: number }
type StoredCursor = { v: 2; cursor: string }
type StoredSigningKey = { v: 2; jwk: JsonWebKey }

const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/
/** A session id: 16 random bytes, base64url. */
export const SESSION_ID = /^[A-Za-z0-9_-]{22}$/
/**
 * Cached transient tokens deleted with their session (one per server asked, so a handful): more, from a
 * session that asked many servers, expire on their own within TRANSIENT_TOKEN_TTL_SECONDS. Bounds the KV
 * operations of ending one session (session-end.ts).
 */
export const MAX_TRANSIENT_DELETES = 20
/** How long this isolate trusts a `state:` value it read or wrote, for the keep-alive's daily decisions. */
const STATE_SEEN_MS = 24 * 3600 * 1000
/** A JWT with less than this left in the `session:` key may have been renewed: its `state:` is read. */
const JWT_STATE_BEFORE_MS = 24 * 3600 * 1000

export const keys = {
  session: (sessionHash: string) => `session:${sessionHash}`,
  state: (sessionHash: string) => `state:${sessionHash}`,
  transientPrefix: (sessionHash: string) => `transient:${sessionHash}:`,
  transient: async (sessionHash: string, target: string) =>
    `transient:${sessionHash}:${await sha256(target)}`,
  servers: (sessionHash: string) => `servers:${sessionHash}`,
  pin: (pinId: string) => `pin:${pinId}`,
  keepAliveCursor: 'cron:keep-alive',
  oidcSigningKey: 'oidc:signing-key',
}

/** The storage of one request: KV, the keyring and the clock. */
export interface SessionStore {
  /**
   * Writes a new session (one write; the session key is never written again), once `register` (the
   * session lineage) has listed it: when `register` refuses, nothing is written and the answer is undefined.
   */
  createSession(
    input: CreateSessionInput,
    register: (session: Session & { id: string }) => Promise<boolean>,
  ): Promise<{ token: string; session: Session & { id: string } } | undefined>
  /**
   * The session of a token: one read, plus its `state:` when the JWT in the session key has less than a
   * day left (the current one may be a renewal), unless this isolate already holds a state with a JWT
   * that is not due.
   */
  getSession(token: string): Promise<Session | undefined>
  /** The session and its state as KV has them now, by hash, bypassing this isolate's caches (two reads). */
  reloadSession(sessionHash: string): Promise<Session | undefined>
  /** The session key alone as KV has it now, by hash, bypassing this isolate's cache (one read; the cron). */
  getSessionByHash(sessionHash: string): Promise<Session | undefined>
  /**
   * The session with its `state:` (renewed JWT, last ping and use): as this isolate saw it in the last day
   * (STATE_SEEN_MS), else (or with `fresh`) read from KV (one read).
   */
  withState(session: Session, options?: { fresh?: boolean }): Promise<Session>
  /**
   * Writes the session's `state:` with the changes `change` makes to the session and state read from KV
   * just before (bypassing the caches): none when the session is gone or `change` returns undefined.
   * Never writes the `session:` key, so it cannot undo a sign-out. Two reads and at most one write.
   */
  updateState(
    session: Session,
    change: (current: Session) => SessionChanges | undefined,
  ): Promise<Session | undefined>
  /**
   * Deletes a session, its state, servers and cached tokens (up to MAX_TRANSIENT_DELETES): at most 3
   * deletes, a list and MAX_TRANSIENT_DELETES deletes.
   */
  deleteSession(session: Pick<Session, 'hash'>): Promise<void>
  /** One page of session hashes, in key order (the keep-alive cron). */
  listSessionHashes(options: {
    cursor?: string
    limit: number
  }): Promise<{ hashes: string[]; cursor: string | undefined }>
  /** Where the keep-alive cron stopped, and where it stops next (undefined: start over). */
  getKeepAliveCursor(): Promise<string | undefined>
  putKeepAliveCursor(cursor: string | undefined): Promise<void>
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
  /**
   * The generated OIDC signing key (a private JWK): from KV; else `generate` makes one, sealed, and
   * `claim` (a Durable Object) answers with the first sealed key anyone offered, which is then written
   * to KV and returned. So two isolates generating at once agree on one key.
   */
  oidcSigningKey(options: {
    generate: () => Promise<JsonWebKey>
    /** `replacing`: the kept value, which no longer opens; replaced unless someone replaced it first. */
    claim: (sealed: string, replacing?: string) => Promise<string>
  }): Promise<JsonWebKey>
}

/**
 * Session values read recently (still sealed), per KV namespace, kept for `SESSION_CACHE_SECONDS`.
 * The KV read is most of the cost of an authenticated request (bench/worker.ts), and Cloudflare bills
 * each one. Sign-out and a rejected token evict the entry in this isolate at once; another isolate may
 * still accept a deleted session until its entry ages out, which is shorter than the delay KV itself
 * has between locations (60 s or more).
 */
const recentSessionReads = new WeakMap<KVNamespace, Map<string, { value: string; until: number }>>()
/**
 * The `state:` values this isolate read or wrote, opened, by session hash, with when: so a request reads
 * a session's state about once a day per isolate, not every time (the session key is still read, so a
 * deleted session is seen as such).
 */
const seenStates = new WeakMap<KVNamespace, Map<string, { state: StoredState | undefined; at: number }>>()
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
  const statesSeen = seenStates.get(kv) ?? new Map<string, { state: StoredState | undefined; at: number }>()
  seenStates.set(kv, statesSeen)
  const see = (hash: string, state: StoredState | undefined): void => {
    if (statesSeen.size >= MAX_CACHED_SESSIONS) statesSeen.clear()
    statesSeen.set(hash, { state, at: now() })
  }
  /** The session's state from KV now (and remembered as seen). */
  const readState = async (hash: string): Promise<StoredState | undefined> => {
    const k = keys.state(hash)
    const state = await read<StoredState>(k, await kv.get(k))
    see(hash, state)
    return state
  }
  /** The state this isolate saw in the last STATE_SEEN_MS, if it did. */
  const seenState = (hash: string): { state: StoredState | undefined } | undefined => {
    const seen = statesSeen.get(hash)
    return seen && now() - seen.at < STATE_SEEN_MS ? seen : undefined
  }
  /** Remembers a sealed session value this isolate just read (when the cache is on). */
  const remember = (k: string, value: string | null): void => {
    if (sessionCacheSeconds <= 0 || value === null) {
      sessionReads.delete(k)
      return
    }
    if (sessionReads.size >= MAX_CACHED_SESSIONS) sessionReads.clear()
    sessionReads.set(k, { value, until: now() + sessionCacheSeconds * 1000 })
  }
  /** The sealed session value: from this isolate's recent reads, else from KV (and then remembered). */
  const readSession = async (k: string): Promise<string | null> => {
    if (sessionCacheSeconds <= 0) return kv.get(k)
    const hit = sessionReads.get(k)
    if (hit && hit.until > now()) return hit.value
    const value = await kv.get(k)
    remember(k, value)
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
  const read = async <T extends { v: 2 }>(k: string, sealed: string | null): Promise<T | undefined> => {
    if (sealed === null) return undefined
    const opened = await open(ring, sealed, k)
    if (!opened) return undefined
    try {
      const record = JSON.parse(opened.plaintext) as T
      return record && typeof record === 'object' && record.v === 2 ? record : undefined
    } catch {
      return undefined
    }
  }

  /** A session record opened from `sealed`, if it is one and has not expired. */
  const sessionFrom = async (hash: string, sealed: string | null): Promise<Session | undefined> => {
    const record = await read<StoredSession>(keys.session(hash), sealed)
    if (!record) return undefined
    const { v: _version, ...stored } = record
    if (typeof stored.plexToken !== 'string' || !(stored.expiresAt > now())) return undefined
    if (stored.jwt !== undefined && !(typeof stored.jwt === 'object' && stored.jwt.expiresAt > 0))
      return undefined
    // A value sealed with a previous key is not re-sealed here: a write on read could bring back a
    // session that a sign-out deleted while this read was in flight (KV is eventually consistent).
    return { hash, ...stored }
  }

  /**
   * A session with its state: the later JWT of the two (a state is never older than its session key's),
   * the later of each time. Idempotent, so a session that has its state already can take it again.
   */
  const withStateOf = (session: Session, state: StoredState | undefined): Session => {
    if (!state) return session
    const next: Session = { ...session }
    if (
      session.jwt &&
      typeof state.plexToken === 'string' &&
      typeof state.jwtExpiresAt === 'number' &&
      state.jwtExpiresAt > session.jwt.expiresAt
    ) {
      next.plexToken = state.plexToken
      next.jwt = { ...session.jwt, expiresAt: state.jwtExpiresAt }
    }
    for (const field of ['lastPingAt', 'lastUsedAt'] as const) {
      const time = state[field]
      if (typeof time === 'number' && !(time <= (session[field] ?? 0))) next[field] = time
    }
    if (
      session.access &&
      typeof state.access?.checkedAt === 'number' &&
      state.access.checkedAt > session.access.checkedAt
    )
      next.access = state.access
    return next
  }

  const store: SessionStore = {
    async createSession({ ttlSeconds, ...fields }, register) {
      const token = randomToken()
      const hash = await sha256(token)
      const createdAt = now()
      const expiration = expirationOf(createdAt + ttlSeconds * 1000)
      if (expiration === undefined)
        throw new ProblemError('misconfigured', 'The session lifetime is too short.')
      const session: Session & { id: string } = {
        ...fields,
        hash,
        id: toBase64url(crypto.getRandomValues(new Uint8Array(16))),
        createdAt,
        expiresAt: expiration * 1000,
        lastUsedAt: createdAt,
      }
      // Listed first: a session written to KV but never listed would be one sign-out everywhere cannot
      // see. A listed session whose write fails is dead weight the lineage shows until it expires.
      if (!(await register(session))) return undefined
      const { hash: _key, ...stored } = session
      await write(keys.session(hash), { v: 2, ...stored } satisfies StoredSession, expiration)
      return { token, session }
    },

    async getSession(token) {
      if (!SESSION_TOKEN.test(token)) return undefined
      const hash = await sha256(token)
      const session = await sessionFrom(hash, await readSession(keys.session(hash)))
      if (!session?.jwt || session.jwt.expiresAt - now() >= JWT_STATE_BEFORE_MS) return session
      // The JWT of the session key is due: the current one is in `state:` once renewed (every ~6 days).
      const seen = seenState(hash)
      const known = seen && withStateOf(session, seen.state)
      if (known?.jwt && known.jwt.expiresAt - now() >= JWT_STATE_BEFORE_MS) return known
      return withStateOf(session, await readState(hash))
    },

    async reloadSession(sessionHash) {
      const k = keys.session(sessionHash)
      const value = await kv.get(k)
      remember(k, value)
      const session = await sessionFrom(sessionHash, value)
      return session && withStateOf(session, await readState(sessionHash))
    },

    async getSessionByHash(sessionHash) {
      return sessionFrom(sessionHash, await kv.get(keys.session(sessionHash)))
    },

    async withState(session, { fresh = false } = {}) {
      const seen = fresh ? undefined : seenState(session.hash)
      return withStateOf(session, seen ? seen.state : await readState(session.hash))
    },

    async updateState(session, change) {
      const current = await store.reloadSession(session.hash)
      // Gone: nothing to write. Were it written anyway (a read that has not seen a sign-out at another
      // location yet), a `state:` key is dead without its session, which is never written back.
      if (!current) return undefined
      const changes = change(current)
      if (!changes) return undefined
      const next: Session = { ...current, ...changes }
      const expiration = expirationOf(next.expiresAt)
      if (expiration === undefined) return undefined
      const state: StoredState = {
        v: 2,
        ...(next.jwt ? { plexToken: next.plexToken, jwtExpiresAt: next.jwt.expiresAt } : {}),
        ...(next.lastPingAt !== undefined ? { lastPingAt: next.lastPingAt } : {}),
        ...(next.lastUsedAt !== undefined ? { lastUsedAt: next.lastUsedAt } : {}),
        ...(next.access !== undefined ? { access: next.access } : {}),
      }
      // KV allows one write per second per key: a keep-alive write that loses is tried again next time.
      if (!(await tryWrite(keys.state(session.hash), state, expiration))) return undefined
      see(session.hash, state)
      return next
    },

    async deleteSession(target) {
      const sessionHash = target.hash
      sessionReads.delete(keys.session(sessionHash))
      statesSeen.delete(sessionHash)
      await kv.delete(keys.session(sessionHash))
      // State, cached tokens, servers and the index entry are only reachable through the session, so they are
      // dead already; delete them anyway. KV lists are eventually consistent: a key written seconds ago may be
      // missed and then simply expires (its expiration never outlives the session's).
      const cleanup: Promise<unknown>[] = [
        kv.delete(keys.state(sessionHash)),
        kv.delete(keys.servers(sessionHash)),
      ]
      try {
        const listed = await kv.list({
          prefix: keys.transientPrefix(sessionHash),
          limit: MAX_TRANSIENT_DELETES,
        })
        for (const entry of listed.keys) cleanup.push(kv.delete(entry.name))
      } catch {
        // best effort, see above
      }
      await Promise.allSettled(cleanup)
    },

    async listSessionHashes({ cursor, limit }) {
      const listed = await kv.list({ prefix: keys.session(''), limit, ...(cursor ? { cursor } : {}) })
      return {
        hashes: listed.keys.map((key) => key.name.slice(keys.session('').length)),
        cursor: listed.list_complete ? undefined : listed.cursor,
      }
    },

    async getKeepAliveCursor() {
      const k = keys.keepAliveCursor
      const stored = await read<StoredCursor>(k, await kv.get(k))
      return typeof stored?.cursor === 'string' ? stored.cursor : undefined
    },

    async putKeepAliveCursor(cursor) {
      const k = keys.keepAliveCursor
      if (cursor === undefined) await kv.delete(k)
      // Two days: a run that stopped halfway is resumed tomorrow; an older cursor is not trusted.
      else await write(k, { v: 2, cursor } satisfies StoredCursor, Math.ceil(now() / 1000) + 2 * 86_400)
    },

    async getTransientToken(session, target) {
      const k = await keys.transient(session.hash, target)
      const stored = await read<StoredTransient>(k, await kv.get(k))
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
      const stored = await read<StoredServers>(k, await kv.get(k))
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
      const stored = await read<StoredPin>(k, await kv.get(k))
      if (!stored || typeof stored.pollTokenHash !== 'string') return undefined
      const { v: _version, ...pin } = stored
      return { id, ...pin }
    },

    async deletePin(id) {
      await kv.delete(keys.pin(id))
    },

    async oidcSigningKey({ generate, claim }) {
      const k = keys.oidcSigningKey
      const stored = await read<StoredSigningKey>(k, await kv.get(k))
      if (stored) return stored.jwk
      const mine = await seal(
        ring,
        JSON.stringify({ v: 2, jwk: await generate() } satisfies StoredSigningKey),
        k,
      )
      let agreed = await claim(mine)
      let record = await read<StoredSigningKey>(k, agreed)
      // The kept key no longer opens (its TOKEN_ENCRYPTION_KEY was dropped): replaced, once, by agreement.
      if (!record) {
        agreed = await claim(mine, agreed)
        record = await read<StoredSigningKey>(k, agreed)
      }
      if (!record) throw new ProblemError('internal_error', 'The OIDC signing key does not open.')
      // No expiration: the key lives until OIDC_SIGNING_KEYS replaces it. Written again by each isolate
      // that missed it in KV (the same sealed value), so a lost write costs nothing.
      try {
        await kv.put(k, agreed)
      } catch {}
      return record.jwk
    },
  }

  return store
}
