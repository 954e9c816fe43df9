/*
 * What the ID token and userinfo say of the user, by scope, from the worker session (never from the
 * request): `sub` is the Plex account uuid; `profile` adds preferred_username, name and picture; `email`
 * adds email. With an access policy, `groups` and `plex_role` carry the role (owner, home or friend), so
 * apps map them to their own permissions.
 */
import type { AccessRole } from '@plex-auth/core'
import type { Session } from '../sessions/session-store.ts'

/** The scopes this provider knows; others asked for are dropped from the grant. */
export const SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const

/** The claims ID tokens and userinfo may carry. */
export const CLAIMS = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'preferred_username',
  'name',
  'picture',
  'email',
  'email_verified',
  'groups',
  'plex_role',
] as const

/** The scopes granted: those asked for that the provider knows, in its order. */
export function grantedScope(asked: string): string {
  const words = new Set(asked.split(' '))
  return SCOPES.filter((scope) => words.has(scope)).join(' ')
}

/**
 * The user's claims for a scope; undefined when the session does not say who the user is. `role`: the
 * access policy's word as configured now (access.ts `roleNow`), '' without a policy.
 */
export function claimsOf(
  session: Session,
  scope: string,
  role: AccessRole | '' | undefined,
): Record<string, unknown> | undefined {
  const profile = session.profile
  if (!profile) return undefined
  const words = new Set(scope.split(' '))
  const claims: Record<string, unknown> = { sub: profile.uuid }
  if (words.has('profile')) {
    claims.preferred_username = profile.username
    claims.name = profile.title || profile.username
    if (profile.thumb) claims.picture = profile.thumb
  }
  if (words.has('email') && profile.email) {
    claims.email = profile.email
    claims.email_verified = profile.emailVerified === true
  }
  if (role) {
    claims.groups = [role]
    claims.plex_role = role
  }
  return claims
}
