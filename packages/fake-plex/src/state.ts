/**
 * Mutable state of one fake: tokens (legacy and Plex JWTs), device keys, nonces, transient tokens, PINs,
 * lockout and rate-limit counters.
 */
import {
  DEFAULT_SIGNING_KEY,
  NONCE_LIFETIME_MS,
  newSigningKey,
  PLEX_JWT_LIFETIME_MS,
  type PublicJwk,
  type SigningKey,
  signPlexJwt,
} from './jwt.ts'
import type { PlexTvErrorDef } from './plex-errors.ts'
import { PLEX_TV_ERRORS } from './plex-errors.ts'
import type { FakePlexSeed, SeedAccount, SeedHomeUser, SeedServer } from './seed.ts'
import { isoSeconds } from './wire.ts'

/** Transient tokens live up to 48 hours (plex-api.md, GetTransientToken). */
export const TRANSIENT_TOKEN_LIFETIME_MS = 48 * 60 * 60 * 1000
/** Failed sign-ins per client IP before code 1031, unless `signInFailuresBeforeLockout` says otherwise. */
export const DEFAULT_SIGN_IN_FAILURES_BEFORE_LOCKOUT = 5
/** A failed sign-in counts towards the lockout for this long, then ages out (sliding window). */
export const SIGN_IN_FAILURE_WINDOW_MS = 60 * 1000
/** How long an IP stays locked out (code 1031) once its failures within the window reach the limit. */
export const LOCKOUT_MS = 15 * 60 * 1000

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const PIN_ALPHABET_STRONG = 'abcdefghijklmnopqrstuvwxyz0123456789'
const PIN_ALPHABET_SHORT = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/** A random string over `alphabet`, from crypto.getRandomValues (web standard). */
export function randomString(length: number, alphabet: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  let out = ''
  for (const byte of bytes) out += alphabet[byte % alphabet.length]
  return out
}

/** A new 20-character token that looks like a plex.tv token. */
export function newPlexToken(): string {
  return randomString(20, TOKEN_ALPHABET)
}

/** The device a token was issued to, as its X-Plex-* headers named it. */
export interface TokenDevice {
  clientIdentifier: string
  /** X-Plex-Product: the name "Authorized Devices" shows. */
  product: string
  /** X-Plex-Device-Name. */
  name: string
}

export interface AccountToken {
  token: string
  login: string
  revoked: boolean
  issuedAt: number
  /** Absent for seeded tokens and `issueToken(login)` without a device: they are in no device list. */
  device?: TokenDevice
  /** A Plex JWT (signed by the fake's key, 7 days) rather than a legacy token. */
  jwt?: boolean
  /** When a Plex JWT expires (ms); then plex.tv answers 498. */
  expiresAt?: number
  /** The token speaks for this managed user of `login`'s Home, not for `login` itself. */
  managedUuid?: string
}

/** What plex.tv makes of a token: valid, unknown, revoked (signed out, rotated, retired) or expired. */
export type TokenStatus = 'missing' | 'unknown' | 'revoked' | 'expired' | 'valid'

/** Who a token speaks for: an account, or a managed user of the account's Home. */
export interface HomeMember {
  /** The account; for a managed user, the admin of the Home. */
  account: SeedAccount
  managed?: SeedHomeUser
}

/** A device key registered with plex.tv: by a PIN with a key, or POST /api/v2/auth/jwk. */
export interface DeviceKeyRecord {
  /** RFC 7638 thumbprint: plex.tv's name for the key, and the `thumbprint` claim of its JWTs. */
  thumbprint: string
  jwk: PublicJwk
  login: string
  device: TokenDevice
  /** The legacy token that registered the key: retired once a JWT is issued for this device. */
  legacyToken?: string
}

/** One entry of an account's "Authorized Devices" (`GET /__fake/devices`, `fake.devices`). */
export interface AuthorizedDevice {
  clientIdentifier: string
  product: string
  name: string
  /** When the live token was issued, ISO 8601 in seconds. */
  createdAt: string
}

export interface TransientToken {
  token: string
  serverId: string
  login: string
  admin: boolean
  /** The token it was made from: /security/resources hands its owner's token back. */
  fromToken: string
  createdAt: number
  /** Server generation at creation; restartServer bumps the generation. */
  generation: number
}

export interface Pin {
  id: number
  code: string
  strong: boolean
  clientIdentifier: string
  product: string
  /** X-Plex-Device-Name as sent when the PIN was created: the approved token's device name. */
  deviceName: string
  createdAt: number
  expiresAt: number
  authToken: string | null
  expired: boolean
  /** A PIN made with a key: its token is a Plex JWT, handed out only against a device JWT signed by it. */
  jwk?: PublicJwk
  thumbprint?: string
  /** Who approved a PIN made with a key (its JWT is signed when the device polls). */
  approvedLogin?: string
}

/** Who a PMS thinks a token belongs to. */
export interface PmsCaller {
  login: string
  admin: boolean
  transient: boolean
  /** The account or share token behind the caller. */
  baseToken: string
}

/**
 * What a served fake keeps across restarts (`serveFakePlex({ stateFile })`, used by `npm run demo`): the
 * tokens it issued, the device keys registered and its signing keys, so a token or Plex JWT a client
 * stored (a CLI profile, a worker session) stays good. PINs, nonces, transient tokens and counters are
 * short-lived and start afresh.
 */
export interface PersistedState {
  version: 1
  tokens: AccountToken[]
  deviceKeys: DeviceKeyRecord[]
  signingKeys: SigningKey[]
}

export type Authentication = { ok: true; account: SeedAccount } | { ok: false; error: PlexTvErrorDef }

export class FakeState {
  readonly tokens = new Map<string, AccountToken>()
  readonly transientTokens = new Map<string, TransientToken>()
  readonly pins = new Map<number, Pin>()
  readonly serverGenerations = new Map<string, number>()
  /** Per client IP: times of the failures still within the window, and the end of a lockout. */
  readonly failuresByIp = new Map<string, { failedAt: number[]; lockedUntil?: number }>()
  readonly rateWindows = new Map<string, { start: number; count: number }>()
  /** Home members' server tokens: by (admin, managed user, server), and what each token stands for. */
  private readonly serverTokens = new Map<string, string>()
  private readonly homeServerAccess = new Map<
    string,
    { login: string; managedUuid: string; serverId: string }
  >()
  /** Client identifiers a Plex JWT was issued to: legacy sign-in under them is refused from then on. */
  readonly jwtClientIdentifiers = new Set<string>()
  /** Registered device keys by thumbprint. */
  readonly deviceKeys = new Map<string, DeviceKeyRecord>()
  /** Live nonces and when they expire. */
  readonly nonces = new Map<string, number>()
  /** The fake plex.tv's signing keys, newest last; all of them are in the JWKS. */
  signingKeys: SigningKey[] = [DEFAULT_SIGNING_KEY]
  private nextPinId = 1837000001
  /** Each server's shares as seeded: `reset` brings back a withdrawn one. */
  private readonly seededShares: (SeedServer['shares'] | undefined)[]

  constructor(
    readonly seed: FakePlexSeed,
    readonly now: () => number,
    readonly failuresBeforeLockout: number,
  ) {
    this.seededShares = seed.servers.map((server) => server.shares && structuredClone(server.shares))
    this.reset()
  }

  /** Back to the seed: only the seeded tokens are valid, no PINs, transient tokens or counters. */
  reset(): void {
    this.tokens.clear()
    this.transientTokens.clear()
    this.pins.clear()
    this.serverGenerations.clear()
    this.failuresByIp.clear()
    this.rateWindows.clear()
    this.deviceKeys.clear()
    this.nonces.clear()
    this.serverTokens.clear()
    this.homeServerAccess.clear()
    this.jwtClientIdentifiers.clear()
    this.signingKeys = [DEFAULT_SIGNING_KEY]
    this.nextPinId = 1837000001
    this.seed.servers.forEach((server, i) => {
      const shares = this.seededShares?.[i]
      if (shares) server.shares = structuredClone(shares)
    })
    for (const account of this.seed.accounts) {
      this.tokens.set(account.token, {
        token: account.token,
        login: account.login,
        revoked: false,
        issuedAt: 0,
      })
    }
  }

  /** The long-lived part of the state, as plain JSON (see PersistedState). */
  snapshot(): PersistedState {
    return {
      version: 1,
      tokens: [...this.tokens.values()],
      deviceKeys: [...this.deviceKeys.values()],
      signingKeys: this.signingKeys,
    }
  }

  /** Takes back a snapshot over the seed; entries for accounts the seed lacks are dropped. */
  restore(saved: PersistedState): void {
    if (saved?.version !== 1) return
    const known = (login: string): boolean => this.findAccount(login) !== undefined
    for (const token of saved.tokens ?? []) if (known(token.login)) this.tokens.set(token.token, token)
    for (const key of saved.deviceKeys ?? []) if (known(key.login)) this.deviceKeys.set(key.thumbprint, key)
    if (saved.signingKeys?.length) this.signingKeys = saved.signingKeys
  }

  findAccount(loginOrEmail: string): SeedAccount | undefined {
    const wanted = loginOrEmail.trim().toLowerCase()
    return this.seed.accounts.find(
      (a) => a.login.toLowerCase() === wanted || a.email.toLowerCase() === wanted,
    )
  }

  /** The account, or an error naming the login: a test asked the fake about an account its seed lacks. */
  requireAccount(login: string): SeedAccount {
    const account = this.findAccount(login)
    if (!account) throw new Error(`fake-plex: no account ${JSON.stringify(login)}`)
    return account
  }

  findServer(serverId: string): SeedServer | undefined {
    return this.seed.servers.find((s) => s.id === serverId)
  }

  /** The account behind a valid plex.tv token (issued, not revoked, not expired); not a managed user's. */
  accountForToken(token: string | null | undefined): SeedAccount | undefined {
    const member = this.memberForToken(token)
    return member && !member.managed ? member.account : undefined
  }

  /** Who a valid plex.tv token speaks for: an account or a managed user of its Home. */
  memberForToken(token: string | null | undefined): HomeMember | undefined {
    if (this.tokenStatus(token) !== 'valid') return undefined
    const record = this.tokens.get(token ?? '')
    const account = record && this.findAccount(record.login)
    if (!record || !account) return undefined
    if (record.managedUuid === undefined) return { account }
    const managed = account.home?.users.find((user) => user.uuid === record.managedUuid)
    return managed ? { account, managed } : undefined
  }

  tokenStatus(token: string | null | undefined): TokenStatus {
    if (!token) return 'missing'
    const record = this.tokens.get(token)
    if (!record) return 'unknown'
    if (record.revoked) return 'revoked'
    if (record.expiresAt !== undefined && this.now() >= record.expiresAt) return 'expired'
    return 'valid'
  }

  isRevoked(token: string | null | undefined): boolean {
    return !!token && this.tokens.get(token)?.revoked === true
  }

  isJwt(token: string | null | undefined): boolean {
    return !!token && this.tokens.get(token)?.jwt === true
  }

  /**
   * A new token for the account. With a device, it is the device's token: Plex rotates tokens per
   * (account, client identifier), so the earlier live token of that pair is revoked.
   */
  issueToken(login: string, device?: TokenDevice, managedUuid?: string): string {
    const account = this.requireAccount(login)
    if (device) this.retireLegacyTokens(account.login, device.clientIdentifier, managedUuid)
    const token = newPlexToken()
    this.tokens.set(token, {
      token,
      login: account.login,
      revoked: false,
      issuedAt: this.now(),
      ...(device ? { device: { ...device } } : {}),
      ...(managedUuid === undefined ? {} : { managedUuid }),
    })
    return token
  }

  /** Revokes the legacy tokens of one device of one account (or of one managed user of its Home). */
  private retireLegacyTokens(login: string, clientIdentifier: string, managedUuid?: string): void {
    for (const record of this.tokens.values()) {
      if (
        !record.jwt &&
        record.login === login &&
        record.managedUuid === managedUuid &&
        record.device?.clientIdentifier === clientIdentifier
      ) {
        record.revoked = true
      }
    }
  }

  /**
   * Registers a device key for (account, device), replacing that device's earlier key. The caller has
   * checked that no other device holds the thumbprint.
   */
  registerDeviceKey(record: DeviceKeyRecord): void {
    for (const [thumbprint, existing] of this.deviceKeys) {
      if (
        existing.login === record.login &&
        existing.device.clientIdentifier === record.device.clientIdentifier
      ) {
        this.deviceKeys.delete(thumbprint)
      }
    }
    this.deviceKeys.set(record.thumbprint, { ...record, device: { ...record.device } })
  }

  /** The key a device JWT's header names, among the keys registered by this client identifier. */
  findDeviceKey(clientIdentifier: string, kid: string | undefined): DeviceKeyRecord | undefined {
    if (kid === undefined) return undefined
    for (const record of this.deviceKeys.values()) {
      if (record.device.clientIdentifier !== clientIdentifier) continue
      if (record.jwk.kid === kid || record.thumbprint === kid) return record
    }
    return undefined
  }

  /**
   * A Plex JWT for a registered device key, signed by the fake's newest key. As Plex's documentation says,
   * the device's legacy tokens are retired once a JWT is issued for it, the one that registered the key too.
   * Earlier JWTs stay valid until they expire: a JWT is not revocable by rotation.
   */
  async issuePlexJwt(key: DeviceKeyRecord, options: { scope: string; nonce: string }): Promise<string> {
    const account = this.requireAccount(key.login)
    // Never undefined: the list starts with DEFAULT_SIGNING_KEY and only grows.
    const signingKey = this.signingKeys.at(-1) as SigningKey
    const now = this.now()
    const token = await signPlexJwt(signingKey, {
      clientIdentifier: key.device.clientIdentifier,
      // Quirk: `thumbprint` echoes the `kid` the device sent with its key (@ctrl/plex test/jwt.spec.ts).
      thumbprint: key.jwk.kid ?? key.thumbprint,
      nonce: options.nonce,
      scope: options.scope,
      user: {
        id: account.id,
        uuid: account.uuid,
        username: account.login,
        email: account.email,
        friendly_name: account.title ?? account.login,
        restricted: false,
        anonymous: false,
        joinedAt: account.joinedAt,
      },
      now,
    })
    this.retireLegacyTokens(account.login, key.device.clientIdentifier)
    this.jwtClientIdentifiers.add(key.device.clientIdentifier)
    if (key.legacyToken !== undefined) this.revokeToken(key.legacyToken)
    this.tokens.set(token, {
      token,
      login: account.login,
      revoked: false,
      issuedAt: now,
      device: { ...key.device },
      jwt: true,
      expiresAt: now + PLEX_JWT_LIFETIME_MS,
    })
    return token
  }

  /** A new single-use nonce, good for NONCE_LIFETIME_MS. */
  newNonce(): string {
    const now = this.now()
    for (const [nonce, expiresAt] of this.nonces) if (now >= expiresAt) this.nonces.delete(nonce)
    const nonce = crypto.randomUUID()
    this.nonces.set(nonce, now + NONCE_LIFETIME_MS)
    return nonce
  }

  /** Uses up a nonce: true when it was live; a nonce is never good twice. */
  takeNonce(nonce: unknown): boolean {
    if (typeof nonce !== 'string') return false
    const expiresAt = this.nonces.get(nonce)
    this.nonces.delete(nonce)
    return expiresAt !== undefined && this.now() < expiresAt
  }

  /** A new signing key signs from now on; the earlier ones stay in the JWKS. */
  async rotateSigningKey(): Promise<string> {
    const key = await newSigningKey()
    this.signingKeys.push(key)
    return key.kid
  }

  /**
   * The token a Home member's resources list gives for a server of the Home's admin: one opaque token per
   * (managed user, server), made on first use, in no device list. Only that server accepts it, as that
   * member (not as its admin).
   */
  homeServerToken(login: string, managedUuid: string, serverId: string): string {
    const key = `${login}\u0000${managedUuid}\u0000${serverId}`
    let token = this.serverTokens.get(key)
    if (token === undefined) {
      token = newPlexToken()
      this.serverTokens.set(key, token)
      this.homeServerAccess.set(token, { login, managedUuid, serverId })
    }
    return token
  }

  /**
   * The owner stops sharing a server with `login`: the share leaves that user's resources, and the server
   * refuses the share's token from then on. Returns whether there was such a share.
   */
  withdrawShare(serverId: string, login: string): boolean {
    const server = this.findServer(serverId)
    const index = server?.shares?.findIndex((share) => share.login === login) ?? -1
    if (!server?.shares || index < 0) return false
    server.shares = server.shares.filter((_, i) => i !== index)
    return true
  }

  /**
   * "Remove" on a device in the account's Authorized Devices: its tokens are revoked and its device keys
   * forgotten, so a JWT refresh for it gets code 1097 "jwk missing". Returns whether it held anything.
   */
  removeDevice(clientIdentifier: string): boolean {
    let found = false
    for (const record of this.tokens.values()) {
      if (record.device?.clientIdentifier === clientIdentifier && !record.revoked) {
        record.revoked = true
        found = true
      }
    }
    for (const [thumbprint, key] of this.deviceKeys) {
      if (key.device.clientIdentifier === clientIdentifier) {
        this.deviceKeys.delete(thumbprint)
        found = true
      }
    }
    return found
  }

  /** The account's "Authorized Devices": one per live token issued to a device, oldest first. */
  devices(login: string): AuthorizedDevice[] {
    const account = this.requireAccount(login)
    // One entry per device: a device may hold its Plex JWT and the JWTs it refreshed before, all still live.
    const devices = new Map<string, AuthorizedDevice>()
    for (const record of this.tokens.values()) {
      if (record.login !== account.login || record.managedUuid !== undefined || !record.device) continue
      if (this.tokenStatus(record.token) !== 'valid') continue
      devices.set(record.device.clientIdentifier, {
        ...record.device,
        createdAt: isoSeconds(record.issuedAt),
      })
    }
    return [...devices.values()]
  }

  /** Revokes a plex.tv token or a transient token; returns whether it existed. */
  revokeToken(token: string): boolean {
    const record = this.tokens.get(token)
    if (record) {
      record.revoked = true
      return true
    }
    return this.transientTokens.delete(token)
  }

  /**
   * Sign-in rules shared by /api/v2/users/signin and the approval page (lockout, password, 2FA).
   * Failures count per client IP within SIGN_IN_FAILURE_WINDOW_MS; reaching `failuresBeforeLockout`
   * locks the IP for LOCKOUT_MS. A success does not wipe them: plex.tv documents nothing of the kind,
   * and one IP stands for many users behind a proxy (the worker), so the fake stays on the strict side.
   */
  authenticate(ip: string, login: string, password: string, verificationCode: string): Authentication {
    const now = this.now()
    const entry = this.failuresByIp.get(ip)
    if (entry?.lockedUntil !== undefined) {
      if (now < entry.lockedUntil) return { ok: false, error: PLEX_TV_ERRORS.lockedOut }
      this.failuresByIp.delete(ip)
    }
    const account = login ? this.findAccount(login) : undefined
    if (!account || account.password !== password) return this.fail(ip)
    if (account.verificationCode !== undefined) {
      // 2FA: the password was right; Plex asks for the code without counting a failure.
      if (!verificationCode) return { ok: false, error: PLEX_TV_ERRORS.verificationCodeRequired }
      if (verificationCode !== account.verificationCode) return this.fail(ip)
    }
    return { ok: true, account }
  }

  private fail(ip: string): Authentication {
    const now = this.now()
    const failedAt = (this.failuresByIp.get(ip)?.failedAt ?? []).filter(
      (at) => now - at < SIGN_IN_FAILURE_WINDOW_MS,
    )
    failedAt.push(now)
    const locked = failedAt.length >= this.failuresBeforeLockout
    this.failuresByIp.set(ip, { failedAt, ...(locked ? { lockedUntil: now + LOCKOUT_MS } : {}) })
    return { ok: false, error: PLEX_TV_ERRORS.unauthenticated }
  }

  /** Fixed-window counter per client identifier; true when over the limit. */
  overRateLimit(clientIdentifier: string, limit: { limit: number; windowMs: number }): boolean {
    const now = this.now()
    let window = this.rateWindows.get(clientIdentifier)
    if (!window || now - window.start >= limit.windowMs) {
      window = { start: now, count: 0 }
      this.rateWindows.set(clientIdentifier, window)
    }
    window.count += 1
    return window.count > limit.limit
  }

  createPin(
    clientIdentifier: string,
    product: string,
    deviceName: string,
    strong: boolean,
    key?: { jwk: PublicJwk; thumbprint: string },
  ): Pin {
    const createdAt = this.now()
    const expiresIn = strong ? 1800 : 900
    const pin: Pin = {
      id: this.nextPinId++,
      code: strong ? randomString(25, PIN_ALPHABET_STRONG) : randomString(4, PIN_ALPHABET_SHORT),
      strong,
      clientIdentifier,
      product,
      deviceName,
      createdAt,
      expiresAt: createdAt + expiresIn * 1000,
      authToken: null,
      expired: false,
      ...(key ? { jwk: key.jwk, thumbprint: key.thumbprint } : {}),
    }
    this.pins.set(pin.id, pin)
    return pin
  }

  /** Approves a PIN for an account: its token is issued to the device that created the PIN. */
  approvePin(pin: Pin, login: string): string {
    const device = { clientIdentifier: pin.clientIdentifier, product: pin.product, name: pin.deviceName }
    if (pin.jwk && pin.thumbprint) {
      // The key is now this device's; its JWT is signed when the device polls with a device JWT.
      const account = this.requireAccount(login)
      this.registerDeviceKey({ thumbprint: pin.thumbprint, jwk: pin.jwk, login: account.login, device })
      pin.approvedLogin = account.login
      return ''
    }
    pin.authToken = this.issueToken(login, device)
    return pin.authToken
  }

  /** A live PIN by id (number or numeric string) or code; undefined when unknown or expired. */
  findPin(idOrCode: number | string): Pin | undefined {
    let pin: Pin | undefined
    if (typeof idOrCode === 'number' || /^\d+$/.test(idOrCode)) pin = this.pins.get(Number(idOrCode))
    if (!pin && typeof idOrCode === 'string') {
      pin = [...this.pins.values()].find((p) => p.code.toLowerCase() === idOrCode.toLowerCase())
    }
    if (!pin || pin.expired || this.now() >= pin.expiresAt) return undefined
    return pin
  }

  serverGeneration(serverId: string): number {
    return this.serverGenerations.get(serverId) ?? 0
  }

  restartServer(serverId: string): void {
    if (!this.findServer(serverId)) throw new Error(`fake-plex: no server ${JSON.stringify(serverId)}`)
    this.serverGenerations.set(serverId, this.serverGeneration(serverId) + 1)
    for (const [token, record] of this.transientTokens) {
      if (record.serverId === serverId) this.transientTokens.delete(token)
    }
  }

  createTransientToken(server: SeedServer, caller: PmsCaller): TransientToken {
    const record: TransientToken = {
      token: `transient-${crypto.randomUUID()}`,
      serverId: server.id,
      login: caller.login,
      admin: caller.admin,
      fromToken: caller.baseToken,
      createdAt: this.now(),
      generation: this.serverGeneration(server.id),
    }
    this.transientTokens.set(record.token, record)
    return record
  }

  private homeMemberExists(login: string, managedUuid: string): boolean {
    return this.findAccount(login)?.home?.users.some((user) => user.uuid === managedUuid) === true
  }

  /** How a PMS sees a token: owner (admin), shared user, transient token of either, or nobody. */
  pmsCaller(server: SeedServer, token: string | null): PmsCaller | undefined {
    if (!token) return undefined
    const transient = this.transientTokens.get(token)
    if (transient) {
      const alive =
        transient.serverId === server.id &&
        transient.generation === this.serverGeneration(server.id) &&
        this.now() - transient.createdAt < TRANSIENT_TOKEN_LIFETIME_MS
      if (!alive) return undefined
      return {
        login: transient.login,
        admin: transient.admin,
        transient: true,
        baseToken: transient.fromToken,
      }
    }
    const share = server.shares?.find((s) => s.accessToken === token)
    if (share) return { login: share.login, admin: false, transient: false, baseToken: token }
    const home = this.homeServerAccess.get(token)
    if (home) {
      if (home.serverId !== server.id || !this.homeMemberExists(home.login, home.managedUuid))
        return undefined
      return { login: `${home.login}/${home.managedUuid}`, admin: false, transient: false, baseToken: token }
    }
    // Quirk: media servers refuse every Plex JWT, the owner's too (anthonycaccese/240-MP#240, 2026-08).
    if (this.isJwt(token)) return undefined
    const account = this.accountForToken(token)
    if (!account) return undefined
    if (account.login === server.ownerLogin) {
      return { login: account.login, admin: true, transient: false, baseToken: token }
    }
    if (server.shares?.some((s) => s.login === account.login)) {
      return { login: account.login, admin: false, transient: false, baseToken: token }
    }
    return undefined
  }
}
