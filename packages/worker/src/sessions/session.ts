import { isPlexError } from '@plex-auth/core'
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import { accessOf, accessRecheckDue, accessView, admit, notAMember } from '../access/access.ts'
import type { AppEnv } from '../env.ts'
import { ProblemError } from '../http/problem.ts'
import { changesState, checkOrigin } from '../http/security.ts'
import { keepAliveOnUse, settleKeepAlive } from './keep-alive.ts'
import { clearedSessionCookie, sessionCookie, sessionCookieName } from './session-cookie.ts'
import { endEndingSessions, KV_OPERATIONS_PER_CLEANUP, revokeAndDelete } from './session-end.ts'
import type {
  HomeLink,
  JwtCredentials,
  LiveSession,
  PlexDevice,
  Session,
  SessionProfile,
  SessionSource,
} from './session-store.ts'

/**
 * Authenticates the request by `Authorization: Bearer <token>` or by the session cookie, and puts the
 * session on `c.var.session`. Cookie-authenticated requests that change state need an allowed Origin.
 * Then keeps the session alive when that is due (keep-alive.ts): a legacy token is pinged at most once a
 * day, a Plex JWT renewed once less than a day of it remains, after the answer (`waitUntil`).
 */
export const requireSession: MiddlewareHandler<AppEnv> = async (c, next) => {
  await authenticate(c)
  const { session, store, plexFor, now } = c.var
  const kept = await keepAliveOnUse({ store, plexFor, now }, session, waitUntilOf(c))
  if (kept === 'ended') {
    await c.var.lineage.forget(session)
    throw sessionEnded(c)
  }
  if (kept !== session) {
    c.set('session', { ...kept, id: session.id, accountUuid: session.accountUuid })
    c.set('plex', plexFor(kept))
  }
  if (accessRecheckDue(c.var.config, kept.access, now())) await recheckAccess(c)
  await next()
}

/**
 * Asks plex.tv again whether the session's user may still use the policy's servers (access.ts): at most
 * every PLEX_ACCESS_RECHECK_SECONDS per session, counting rechecks other requests stored. A user who lost
 * access gets 403 `not_a_member` and the session ends (its tokens revoked, as at sign-out).
 */
async function recheckAccess(c: Context<AppEnv>): Promise<void> {
  const { store, config, now } = c.var
  const live = c.var.session
  const known = { id: live.id, accountUuid: live.accountUuid }
  const session = await store.withState(live)
  if (!accessRecheckDue(config, session.access, now())) {
    c.set('session', { ...session, ...known })
    return
  }
  // One plex.tv call per session at a time in this isolate, however many requests arrive together.
  let job = rechecks.get(session.hash)
  if (!job) {
    job = accessOf(c.var.plex, session.plexToken, config.access, session.profile?.id)
    rechecks.set(session.hash, job)
    const forget = (): void => {
      rechecks.delete(session.hash)
    }
    job.then(forget, forget)
  }
  let access: Awaited<typeof job>
  try {
    access = await orRejectSession(c, job)
  } catch (error) {
    // plex.tv could not answer (down, 429): the last check stands for one more interval, then fails closed.
    const interval = (config.access?.recheckSeconds ?? 0) * 1000
    const stale = !session.access || now() - session.access.checkedAt >= 2 * interval
    if (!isPlexError(error) || isPlexError(error, 'unauthorized') || stale) throw error
    c.set('session', { ...session, ...known })
    return
  }
  if (access.role === 'none') {
    // Ended as its own sign-out would end it: in its lineage at once, its tokens revoked.
    await endSessions(c, [live.id])
    throw notAMember(
      c.var.sessionVia === 'cookie'
        ? { 'Set-Cookie': clearedSessionCookie(c.var.config.sessionCookieDomain) }
        : {},
    )
  }
  const checked = { ...access, checkedAt: now() }
  // Best effort: a lost write means the next use asks again.
  const written = await store.updateState(session, () => ({ access: checked }))
  c.set('session', { ...(written ?? { ...session, access: checked }), ...known })
}

/** Access rechecks running in this isolate, by session hash. */
const rechecks = new Map<string, ReturnType<typeof accessOf>>()

/**
 * Makes a session found by other means (an OIDC grant names its session by hash) the request's, as
 * `requireSession` would after authenticating it: the access policy is asked again when due, and a user
 * who lost access gets 403 `not_a_member` and the session ends.
 */
export async function adoptSession(c: Context<AppEnv>, session: LiveSession): Promise<void> {
  c.set('session', session)
  c.set('sessionVia', 'bearer')
  c.set('plex', c.var.plexFor(session))
  if (accessRecheckDue(c.var.config, session.access, c.var.now())) await recheckAccess(c)
}

/**
 * `requireSession` without the keep-alive, for the routes that end the session: pinging or renewing a
 * token about to be revoked, and writing the state of a session about to be deleted, is work for nothing.
 */
export const requireSessionToEnd: MiddlewareHandler<AppEnv> = async (c, next) => {
  await authenticate(c)
  await next()
}

/**
 * The request's `waitUntil`, or undefined where there is no execution context (app.request in tests):
 * Hono's `c.executionCtx` getter throws then.
 */
export function waitUntilOf(c: Context<AppEnv>): ((promise: Promise<unknown>) => void) | undefined {
  try {
    const context = c.executionCtx
    return (promise) => context.waitUntil(promise)
  } catch {
    return undefined
  }
}

async function authenticate(c: Context<AppEnv>): Promise<void> {
  let authorization = c.req.header('Authorization')
  if (
    c.var.appAuthorization &&
    authorization !== undefined &&
    !/^Bearer +[A-Za-z0-9_-]{43} *$/i.test(authorization)
  )
    authorization = undefined
  let token: string | undefined
  let via: 'bearer' | 'cookie' = 'bearer'
  if (authorization !== undefined) {
    token = /^Bearer +([A-Za-z0-9_-]+) *$/i.exec(authorization)?.[1]
    if (!token) throw unauthenticated(c, 'bearer', 'Send the session as `Authorization: Bearer <token>`.')
  } else {
    token = getCookie(c, sessionCookieName(c.var.config.sessionCookieDomain))
    via = 'cookie'
    if (!token) throw unauthenticated(c, 'bearer', 'Sign in first: no session was presented.')
    // Login CSRF and CSRF: a cookie travels with cross-site requests, so its origin must be ours.
    if (changesState(c.req.method)) checkOrigin(c, true)
  }
  const session = await c.var.store.getSession(token)
  // Alive in KV is not enough: its lineage (a Durable Object) says whether it was ended or consumed.
  const { id, accountUuid } = session ?? {}
  if (!session || id === undefined || accountUuid === undefined || !(await c.var.lineage.alive(session)))
    throw unauthenticated(c, via, 'The session is unknown or expired; sign in again.')
  c.set('session', { ...session, id, accountUuid })
  c.set('sessionVia', via)
  c.set('plex', c.var.plexFor(session))
}

function unauthenticated(c: Context<AppEnv>, via: 'bearer' | 'cookie', detail: string): ProblemError {
  return new ProblemError('unauthenticated', detail, {
    headers: via === 'cookie' ? { 'Set-Cookie': clearedSessionCookie(c.var.config.sessionCookieDomain) } : {},
  })
}

/**
 * The account fields frontends get: those Plex documents for UserPlexAccount (the core's `PlexUser`),
 * less the secret-carrying ones. An allowlist: a field plex.tv adds tomorrow (perhaps another token)
 * does not reach page scripts until it is looked at and listed here.
 */
const PUBLIC_USER_FIELDS = new Set([
  'id',
  'uuid',
  'username',
  'title',
  'email',
  'friendlyName',
  'thumb',
  'locale',
  'confirmed',
  'emailOnlyAuth',
  'hasPassword',
  'protected',
  'country',
  'joinedAt',
  'twoFactorEnabled',
  'mailingListStatus',
  'mailingListActive',
  'scrobbleTypes',
  'subscription',
  'subscriptions',
  'subscriptionDescription',
  'restricted',
  'anonymous',
  'home',
  'guest',
  'homeSize',
  'homeAdmin',
  'maxHomeSize',
  'rememberExpiresAt',
  'profile',
  'entitlements',
  'roles',
  'experimentalFeatures',
  'backupCodesCreated',
  'attributionPartner',
])
/** `services` entries carry a `token` and a `secret`: only these fields of each are passed on. */
const PUBLIC_SERVICE_FIELDS = ['identifier', 'endpoint', 'status'] as const

/** The account as frontends see it: documented, non-secret fields only (never `authToken`). */
export function publicUser(user: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(user)) {
    if (PUBLIC_USER_FIELDS.has(name)) out[name] = value
    else if (name === 'services' && Array.isArray(value)) {
      out[name] = value
        .filter(
          (service: unknown): service is Record<string, unknown> => !!service && typeof service === 'object',
        )
        .map((service) =>
          Object.fromEntries(
            PUBLIC_SERVICE_FIELDS.filter((key) => key in service).map((key) => [key, service[key]]),
          ),
        )
    }
  }
  return out
}

/** The request header a client sends to receive its session token in the body instead of a cookie. */
const SESSION_MODE_HEADER = 'X-Session-Mode'

/** How the client asked to hold its session: `bearer` (token in the body) or `cookie` (the default). */
export type SessionMode = 'bearer' | 'cookie'

/**
 * Reads `X-Session-Mode` before anything happens, so a bad value costs the client nothing (no PIN is
 * claimed, no sign-in is spent).
 */
export function sessionModeOf(c: Context<AppEnv>): SessionMode {
  const value = c.req.header(SESSION_MODE_HEADER)?.trim().toLowerCase()
  if (value === undefined || value === '' || value === 'cookie') return 'cookie'
  if (value === 'bearer') return 'bearer'
  throw new ProblemError('invalid_request', 'The request is invalid.', {
    issues: [{ path: SESSION_MODE_HEADER, message: 'Invalid header: expected "bearer" or "cookie"' }],
  })
}

/**
 * Creates a session for a Plex token, acting as `device`, and answers with it. By default the token
 * goes only into the HttpOnly cookie, where no page script can read it; with `X-Session-Mode: bearer`
 * it goes only into the body (`session.token`), for clients that send `Authorization: Bearer`. A session
 * opened from a cookie-authenticated request (a Home switch) always gets a cookie: a page script could
 * otherwise turn the HttpOnly cookie into a token it can read.
 * The session is listed in its account's lineage before it is written; `consumes` (a Home switch) is the
 * session it replaces, consumed in the same step: when that was consumed or ended already, 401.
 */
export async function startSession(
  c: Context<AppEnv>,
  input: {
    plexToken: string
    source: SessionSource
    device: PlexDevice
    user: object
    mode: SessionMode
    status?: 200 | 201
    extra?: object
    /** The device key and expiry when `plexToken` is a Plex JWT. */
    jwt?: JwtCredentials
    /** Whose lineage lists the session. Default: `home.adminUuid` after a Home switch, else `user.uuid`. */
    accountUuid?: string
    /** A Plex Home switch: the token switched from, sealed with the session. */
    home?: HomeLink
    /** Whether the worker obtained `plexToken` from plex.tv (revoked at sign-out) or a frontend brought it. */
    obtained: boolean
    /** A Home switch: the session replaced, consumed atomically (at most one successor per session). */
    consumes?: Session
    /** The switch lock `consumes` is held under, when the switch went to plex.tv. */
    lock?: string
  },
): Promise<Response> {
  const { config, store, now, lineage } = c.var
  const account = accountOf(input)
  if (account.accountUuid === undefined)
    throw new ProblemError('upstream_invalid_response', 'Plex sent an account without a uuid.')
  const mode = c.var.sessionVia === 'cookie' ? 'cookie' : input.mode
  // The access policy, before any session exists: a denied sign-in opens none (403 not_a_member).
  const access = await admit(c, {
    plexToken: input.plexToken,
    plex: c.var.plexFor(input.device),
    // A Home switch's token shares the device of the session it came from: signing it out at plex.tv
    // could end that session's token too, so a refused switch revokes nothing.
    obtained: input.obtained && input.consumes === undefined,
    ...userIdOf(input.user),
  })
  const created = await store.createSession(
    {
      plexToken: input.plexToken,
      plexTokenObtained: input.obtained,
      source: input.source,
      ttlSeconds: config.sessionTtlSeconds,
      clientIdentifier: input.device.clientIdentifier,
      deviceName: input.device.deviceName,
      ...(input.jwt ? { jwt: input.jwt } : {}),
      ...account,
      ...(input.home ? { home: input.home } : {}),
      ...(access ? { access } : {}),
      ...profileOf(input.user),
    },
    (session) => lineage.register(session, input.consumes, input.lock),
  )
  if (!created)
    throw unauthenticated(
      c,
      c.var.sessionVia ?? 'bearer',
      'This session was used already or has ended; sign in again.',
    )
  const { token, session } = created
  const expiresAt = new Date(session.expiresAt).toISOString()
  if (mode === 'cookie')
    c.header(
      'Set-Cookie',
      sessionCookie(config.sessionCookieDomain, token, Math.floor((session.expiresAt - now()) / 1000)),
    )
  return c.json(
    {
      ...input.extra,
      session: mode === 'bearer' ? { token, expiresAt } : { expiresAt },
      user: publicUser(input.user),
      ...(access ? { access: accessView(access) } : {}),
    },
    input.status ?? 201,
  )
}

function userIdOf(user: object): { userId?: number } {
  const { id } = user as Record<string, unknown>
  return typeof id === 'number' && Number.isSafeInteger(id) ? { userId: id } : {}
}

/** The user's name and email for forward-auth's headers, kept sealed with the session. */
function profileOf(user: object): { profile?: SessionProfile } {
  const { uuid, username, title, email, thumb, confirmed, id } = user as Record<string, unknown>
  if (typeof uuid !== 'string' || uuid === '') return {}
  const name =
    typeof username === 'string' && username !== '' ? username : typeof title === 'string' ? title : ''
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)
  return {
    profile: {
      uuid,
      username: name,
      ...(text(email) ? { email: text(email) } : {}),
      // Plex's `confirmed`: the account's email address was confirmed (OIDC's email_verified).
      ...(text(email) && confirmed === true ? { emailVerified: true } : {}),
      ...(text(title) ? { title: text(title) } : {}),
      // The avatar, for OIDC's `picture`: an https URL only (plex.tv's), nothing a client could misuse.
      ...(text(thumb)?.startsWith('https://') ? { thumb: text(thumb) } : {}),
      ...(typeof id === 'number' && Number.isSafeInteger(id) ? { id } : {}),
    },
  }
}

/** The account whose lineage lists a new session. */
function accountOf(input: { accountUuid?: string; user: object; home?: HomeLink }): { accountUuid?: string } {
  // A session switched to a Home user holds the token of the account it came from: it is that account's
  // (in its lineage, ended by its sign-out everywhere).
  const uuid = input.accountUuid ?? input.home?.adminUuid ?? (input.user as { uuid?: unknown }).uuid
  return typeof uuid === 'string' && uuid !== '' ? { accountUuid: uuid } : {}
}

/** Plex no longer accepts the session's token: the session is deleted and the client must sign in again. */
export async function rejectSession(c: Context<AppEnv>): Promise<never> {
  await c.var.store.deleteSession(c.var.session)
  await c.var.lineage.forget(c.var.session)
  throw sessionEnded(c)
}

/**
 * Awaits a plex.tv call made with a token the session holds: when plex.tv no longer accepts it
 * (`unauthorized`, which the core also reports for a revoked token's 422), the session ends (rejectSession).
 * Any other error is thrown as it is.
 * @example const account = await orRejectSession(c, plex.getTokenDetails({ token: session.plexToken }))
 */
export async function orRejectSession<T>(c: Context<AppEnv>, call: Promise<T>): Promise<T> {
  try {
    return await call
  } catch (error) {
    if (isPlexError(error, 'unauthorized')) await rejectSession(c)
    throw error
  }
}

function sessionEnded(c: Context<AppEnv>): ProblemError {
  return new ProblemError('plex_token_rejected', 'Plex no longer accepts this session; sign in again.', {
    headers:
      c.var.sessionVia === 'cookie'
        ? { 'Set-Cookie': clearedSessionCookie(c.var.config.sessionCookieDomain) }
        : {},
  })
}

/** The KV operations a request spends on cleaning up sessions ended by sign-out everywhere (the alarm does the rest). */
export const SIGN_OUT_CLEANUP_BUDGET = 20 * KV_OPERATIONS_PER_CLEANUP

/**
 * Ends sessions of the request's account: at once in its lineage (`all`, or these ids), so none of them
 * works anywhere after SESSION_CACHE_SECONDS at most (here at once); then cleans up (session-end.ts:
 * revokes the tokens the worker obtained, deletes the KV keys) the asking session if it is one of them,
 * the ids named, and others within `budget` KV operations. The lineage's alarm cleans up the rest.
 */
export async function endSessions(
  c: Context<AppEnv>,
  ids: string[] | 'all',
  { budget = 0 }: { budget?: number } = {},
): Promise<void> {
  const { session, lineage, store, plexFor } = c.var
  const claimed = await lineage.end(session.accountUuid, ids, ids === 'all' ? [session.id] : ids)
  const queue = lineage.queue(session.accountUuid)
  const deps = { store, plexFor }
  // The asking session first, from the copy in hand: its caller is signed out whatever happens next.
  if (claimed.some((entry) => entry.id === session.id)) {
    await settleKeepAlive(session.hash)
    await revokeAndDelete(deps, session)
    await queue.done([session.id])
  }
  const named = claimed.filter((entry) => entry.id !== session.id)
  for (const entry of named) await settleKeepAlive(entry.hash)
  const claimedHere = { claim: (limit: number) => named.splice(0, limit), done: queue.done }
  await endEndingSessions(deps, claimedHere, { budget: named.length * KV_OPERATIONS_PER_CLEANUP })
  if (budget > 0) await endEndingSessions(deps, queue, { budget })
}
