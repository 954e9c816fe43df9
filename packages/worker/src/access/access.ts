/*
 * Who may use this worker: the access policy (PLEX_ACCESS_SERVERS, PLEX_ACCESS_ROLES). A user is admitted
 * when their own plex.tv resources list one of the policy's servers with an allowed role (owner, home,
 * friend): no owner token, no friends list (Plex retired /api/v2/friends: seerr-team/seerr#3414). Checked
 * before any session exists, on every way in, and again every PLEX_ACCESS_RECHECK_SECONDS on use.
 */
import { type AccessRole, accessFromResources, type ServerAccessEntry } from '@plex-auth/core'
import type { Context } from 'hono'
import type { Config } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { ProblemError } from '../http/problem.ts'
import type { PlexClient } from '../plex/plex.ts'
import type { Session, SessionAccess } from '../sessions/session-store.ts'

/** What `GET /v1/access` and sign-in answers say of the session's user. */
export interface AccessView {
  role: AccessRole
  servers: ServerAccessEntry[]
}

const RANK: Record<AccessRole, number> = { owner: 3, home: 2, friend: 1, none: 0 }

/**
 * The user's access under the policy, from their own resources: the policy's servers they reach with an
 * allowed role, and the best of those roles. Without a policy, every server they reach counts.
 */
export async function accessOf(
  plex: PlexClient,
  token: string,
  policy: Config['access'],
  userId?: number,
): Promise<AccessView> {
  // A server listed as owned counts only for its owner's account: who the user is, asked when not known.
  const user = policy && userId === undefined ? (await plex.getTokenDetails({ token })).id : userId
  const found = accessFromResources(await plex.getResources({ token }), {
    servers: policy?.servers ?? [],
    ...(policy ? { ownerId: policy.ownerId, ...(user === undefined ? {} : { userId: user }) } : {}),
  })
  const servers = policy ? found.servers.filter((server) => policy.roles.has(server.role)) : found.servers
  const role = servers.reduce<AccessRole>((best, s) => (RANK[s.role] > RANK[best] ? s.role : best), 'none')
  return { role, servers }
}

/** The problem a user without access gets: the same on every way in and when access is lost. */
export function notAMember(headers: Record<string, string> = {}): ProblemError {
  return new ProblemError(
    'not_a_member',
    'This Plex account has no access to the Plex server this service is for; ask its owner to share it.',
    { headers },
  )
}

/**
 * The access check of a sign-in, before its session exists. No policy: nothing to check (undefined).
 * Denied: the Plex token is revoked when the worker obtained it (never a token the frontend brought), and
 * the sign-in answers 403 `not_a_member`. A plex.tv error fails closed: no session.
 */
export async function admit(
  c: Context<AppEnv>,
  input: { plexToken: string; plex: PlexClient; obtained: boolean; userId?: number },
): Promise<SessionAccess | undefined> {
  const { config, now } = c.var
  if (!config.access) return undefined
  let access: AccessView
  try {
    access = await accessOf(input.plex, input.plexToken, config.access, input.userId)
  } catch (error) {
    await revokeIfObtained(input)
    throw error
  }
  if (access.role === 'none') {
    await revokeIfObtained(input)
    throw notAMember()
  }
  return { ...access, checkedAt: now() }
}

async function revokeIfObtained(input: {
  plexToken: string
  plex: PlexClient
  obtained: boolean
}): Promise<void> {
  if (!input.obtained) return
  try {
    await input.plex.signOut({ token: input.plexToken })
  } catch {
    // Best effort: the sign-in is refused whatever plex.tv says.
  }
}

/** Whether a session's access is due for another look (policy on, older than PLEX_ACCESS_RECHECK_SECONDS). */
export function accessRecheckDue(config: Config, access: SessionAccess | undefined, now: number): boolean {
  if (!config.access) return false
  return now - (access?.checkedAt ?? 0) >= config.access.recheckSeconds * 1000
}

/** The view of a stored access (no `checkedAt`). */
export function accessView(access: SessionAccess): AccessView {
  return { role: access.role, servers: access.servers }
}

/**
 * The role the session's checked access gives under the policy as configured now (a server removed from
 * PLEX_ACCESS_SERVERS, or a role from PLEX_ACCESS_ROLES, no longer counts): the best of the servers left,
 * '' without a policy, undefined when none is left. Forward-auth's X-Plex-Role and OIDC's `groups`.
 */
export function roleNow(config: Config, session: Pick<Session, 'access'>): AccessRole | '' | undefined {
  const policy = config.access
  if (!policy) return ''
  const servers = (session.access?.servers ?? []).filter(
    (server) => policy.roles.has(server.role) && policy.servers.includes(server.clientIdentifier),
  )
  if (servers.length === 0) return undefined
  return servers.reduce((best, s) => (RANK[s.role] > RANK[best.role] ? s : best)).role
}
