/*
 * What the OpenID Connect provider must never get wrong twice, in the one place that is strongly
 * consistent: a Durable Object (OIDC_GRANTS) per worker session, named `session:<session id>`. KV is
 * eventually consistent: a code redeemed at one location could be redeemed again at another for a
 * minute. Here every call runs one at a time, so of two redemptions of one code exactly one wins, and a
 * refresh token presented twice is seen as such.
 *
 * It holds hashes and bookkeeping, never a token (STORAGE.md): `code:<sha256>`, `family:<id>` (one grant
 * and its current refresh token), `refresh:<sha256>` and `access:<sha256>` (each naming its family). It
 * knows the session only by its hash; whether that session is still alive is asked of its lineage by the
 * route on every use, so a grant dies with its session (sign-out, sign-out everywhere, a lost access).
 *
 * One more instance, `signing-key`, keeps the first generated signing key it is offered (keys.ts).
 */
import { DurableObject } from 'cloudflare:workers'
import type { Bindings } from '../env.ts'

/** An authorization code, until it expires (and after use, so a second use is recognised). */
export interface CodeRecord {
  clientId: string
  redirectUri: string
  /** The PKCE S256 challenge, when the client sent one. */
  codeChallenge?: string
  scope: string
  nonce?: string
  sessionHash: string
  /** ms since the epoch: the session's end, past which no token of this grant lives. */
  sessionExpiresAt: number
  /** When the user signed in (seconds), the ID token's `auth_time`. */
  authTime: number
  /** ms since the epoch */
  expiresAt: number
  /** Redeemed: the family it started (revoked if the code comes again), or `burned` (refused once). */
  usedBy?: string
}

/** One grant: what a redeemed code became, and its current refresh token. */
export interface Family {
  id: string
  clientId: string
  scope: string
  nonce?: string
  sessionHash: string
  authTime: number
  /** sha256 of the one refresh token that may be used now. */
  refreshHash: string
  /** ms since the epoch: the refresh token's lifetime, at most the session's. */
  expiresAt: number
}

/** The tokens a redemption or a refresh issues, by hash. */
export interface Issued {
  familyId: string
  accessHash: string
  refreshHash: string
  accessExpiresAt: number
  refreshExpiresAt: number
}

/** What the token endpoint checks a code against (the client is already authenticated). */
export interface Redemption {
  clientId: string
  redirectUri: string
  /** S256 of the `code_verifier` sent, if any. */
  challenge?: string
}

const CODE = 'code:'
const FAMILY = 'family:'
const REFRESH = 'refresh:'
const ACCESS = 'access:'
const SIGNING_KEY = 'signing-key'

type Pointer = { familyId: string; expiresAt: number }

/** The Durable Object behind OIDC_GRANTS: one instance per worker session, plus `signing-key`. */
export class OidcGrants extends DurableObject<Bindings> {
  /** Stores a new code. */
  issueCode(hash: string, record: CodeRecord): void {
    this.ctx.storage.kv.put(CODE + hash, record)
    this.scheduleSweep(record.expiresAt)
  }

  /**
   * Redeems a code once: it must exist, be unexpired and unused, and match the client, the redirect URI
   * and the PKCE challenge. A used code that comes again revokes the grant it started (RFC 6749 4.1.2);
   * a code that fails a check is burned.
   */
  redeemCode(hash: string, asked: Redemption, issue: Issued, now: number): Family | undefined {
    const { kv } = this.ctx.storage
    const code = kv.get<CodeRecord>(CODE + hash)
    if (!code || code.expiresAt <= now) return undefined
    if (code.usedBy !== undefined) {
      if (code.usedBy !== 'burned') this.revokeFamily(code.usedBy)
      return undefined
    }
    const pkceOk =
      code.codeChallenge === undefined
        ? asked.challenge === undefined
        : asked.challenge === code.codeChallenge
    if (asked.clientId !== code.clientId || asked.redirectUri !== code.redirectUri || !pkceOk) {
      kv.put(CODE + hash, { ...code, usedBy: 'burned' })
      return undefined
    }
    kv.put(CODE + hash, { ...code, usedBy: issue.familyId })
    const family: Family = {
      id: issue.familyId,
      clientId: code.clientId,
      scope: code.scope,
      ...(code.nonce !== undefined ? { nonce: code.nonce } : {}),
      sessionHash: code.sessionHash,
      authTime: code.authTime,
      refreshHash: issue.refreshHash,
      expiresAt: Math.min(issue.refreshExpiresAt, code.sessionExpiresAt),
    }
    this.store(family, issue)
    return family
  }

  /**
   * Rotates a refresh token: the family's current one gives a new pair. A refresh token that was
   * rotated already (a replay: someone else has a copy) revokes the whole family.
   */
  refresh(hash: string, clientId: string, issue: Issued, now: number): Family | undefined {
    const { kv } = this.ctx.storage
    const pointer = kv.get<Pointer>(REFRESH + hash)
    const family = pointer && kv.get<Family>(FAMILY + pointer.familyId)
    if (!family || family.clientId !== clientId || family.expiresAt <= now) return undefined
    if (family.refreshHash !== hash) {
      this.revokeFamily(family.id)
      return undefined
    }
    const next: Family = { ...family, refreshHash: issue.refreshHash }
    this.store(next, { ...issue, familyId: family.id, refreshExpiresAt: family.expiresAt })
    return next
  }

  /** The grant of an access token, while both live. */
  accessGrant(hash: string, now: number): Family | undefined {
    const { kv } = this.ctx.storage
    const pointer = kv.get<Pointer>(ACCESS + hash)
    if (!pointer || pointer.expiresAt <= now) return undefined
    const family = kv.get<Family>(FAMILY + pointer.familyId)
    return family && family.expiresAt > now ? family : undefined
  }

  /**
   * RFC 7009: an access token of this client stops working; a refresh token of this client ends its
   * whole grant. Anything else is ignored (the endpoint answers 200 either way).
   */
  revoke(hash: string, clientId: string): void {
    const { kv } = this.ctx.storage
    const access = kv.get<Pointer>(ACCESS + hash)
    if (access && kv.get<Family>(FAMILY + access.familyId)?.clientId === clientId) kv.delete(ACCESS + hash)
    const refresh = kv.get<Pointer>(REFRESH + hash)
    if (refresh && kv.get<Family>(FAMILY + refresh.familyId)?.clientId === clientId)
      this.revokeFamily(refresh.familyId)
  }

  /**
   * The first sealed signing key offered, kept; every caller gets that one (keys.ts). `replacing`: the
   * kept value no longer opens (its TOKEN_ENCRYPTION_KEY is gone), so `sealed` replaces it, unless
   * another caller replaced it already.
   */
  claimSigningKey(sealed: string, replacing?: string): string {
    const kept = this.ctx.storage.kv.get<string>(SIGNING_KEY)
    if (kept !== undefined && kept !== replacing) return kept
    this.ctx.storage.kv.put(SIGNING_KEY, sealed)
    return sealed
  }

  /** Drops what expired; when nothing is left, the instance's storage is deleted. */
  override async alarm(): Promise<void> {
    const now = Date.now()
    const { kv } = this.ctx.storage
    let next: number | undefined
    for (const [key, value] of kv.list<{ expiresAt?: number }>()) {
      if (key === SIGNING_KEY) continue
      const expiresAt = value.expiresAt ?? 0
      if (expiresAt <= now) kv.delete(key)
      else next = Math.min(next ?? expiresAt, expiresAt)
    }
    if (next === undefined && kv.get(SIGNING_KEY) === undefined) await this.ctx.storage.deleteAll()
    else if (next !== undefined) await this.ctx.storage.setAlarm(next)
  }

  private store(family: Family, issue: Issued): void {
    const { kv } = this.ctx.storage
    kv.put(FAMILY + family.id, family)
    kv.put(REFRESH + issue.refreshHash, {
      familyId: family.id,
      expiresAt: family.expiresAt,
    } satisfies Pointer)
    kv.put(ACCESS + issue.accessHash, {
      familyId: family.id,
      expiresAt: Math.min(issue.accessExpiresAt, family.expiresAt),
    } satisfies Pointer)
    this.scheduleSweep(family.expiresAt)
  }

  /** Ends a grant: the family, and every refresh and access token that names it. */
  private revokeFamily(familyId: string): void {
    const { kv } = this.ctx.storage
    kv.delete(FAMILY + familyId)
    for (const prefix of [REFRESH, ACCESS])
      for (const [key, pointer] of kv.list<Pointer>({ prefix }))
        if (pointer.familyId === familyId) kv.delete(key)
  }

  /** The sweep runs once the latest record has expired (a grant's storage goes with it). */
  private scheduleSweep(expiresAt: number): void {
    void (async () => {
      const current = await this.ctx.storage.getAlarm()
      if (current === null || current < expiresAt) await this.ctx.storage.setAlarm(expiresAt + 1000)
    })()
  }
}
