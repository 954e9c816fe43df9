import * as v from 'valibot'
import { PROBLEMS, type ProblemCode } from './problem.ts'

/*
 * Response schemas: what the routes answer, for the OpenAPI document, the typed client's types and the
 * tests (every 2xx answer in a test is checked against its route's). Nothing in the worker imports this
 * module at run time (only the routes' docs do, which the bundle drops), so with `"sideEffects": false`
 * none of it ships: esbuild keeps an unused valibot call of a module it bundles (evanw/esbuild#4369).
 */

export const HealthResponse = v.object({ status: v.literal('ok') })

export const SessionInfo = v.object({
  token: v.optional(
    v.pipe(
      v.string(),
      v.description(
        'Opaque session token (256 bits, base64url): send as `Authorization: Bearer <token>`. Only present ' +
          'when the request sent `X-Session-Mode: bearer`; otherwise the session is in the HttpOnly cookie only.',
      ),
    ),
  ),
  expiresAt: v.pipe(v.string(), v.isoTimestamp()),
})

const ServiceEntry = v.looseObject({
  identifier: v.optional(v.string()),
  endpoint: v.optional(v.string()),
  status: v.optional(v.string()),
})

export const User = v.pipe(
  v.looseObject({
    id: v.number(),
    uuid: v.string(),
    username: v.nullable(v.string()),
    title: v.string(),
    email: v.nullable(v.string()),
    friendlyName: v.optional(v.string()),
    thumb: v.optional(v.string()),
    hasPassword: v.optional(v.boolean()),
    twoFactorEnabled: v.optional(v.boolean()),
    joinedAt: v.optional(v.number()),
    services: v.optional(v.array(ServiceEntry)),
  }),
  v.description(
    'The Plex account (UserPlexAccount): the fields Plex documents, less the secret ones. Never `authToken`, nor the `token` and `secret` of `services` entries; a field Plex adds is left out until it is reviewed. A managed Plex Home user has `username` and `email` null.',
  ),
)

/** What the access policy found the user to be (GET /v1/access, and sign-in answers when a policy is set). */
export const AccessInfo = v.object({
  role: v.pipe(
    v.picklist(['owner', 'home', 'friend', 'none']),
    v.description(
      'The best role over the servers listed: owner, home (a member of the Plex Home), friend (shared).',
    ),
  ),
  servers: v.array(
    v.object({
      clientIdentifier: v.string(),
      name: v.string(),
      role: v.picklist(['owner', 'home', 'friend']),
    }),
  ),
})

export const SignedInResponse = v.object({
  session: SessionInfo,
  user: User,
  access: v.optional(
    v.pipe(AccessInfo, v.description('Present when an access policy is set (PLEX_ACCESS_SERVERS).')),
  ),
})

export const TransientTokenResponse = v.object({
  token: v.pipe(v.string(), v.description('A transient token for the server: same access, short-lived.')),
  expiresAt: v.pipe(
    v.string(),
    v.isoTimestamp(),
    v.description('Until when the worker hands this token out.'),
  ),
  cached: v.boolean(),
})

const Connection = v.looseObject({
  protocol: v.optional(v.string()),
  address: v.optional(v.string()),
  port: v.optional(v.number()),
  uri: v.optional(v.string()),
  local: v.optional(v.boolean()),
  relay: v.optional(v.boolean()),
})

export const SourceConnectionResponse = v.object({
  accessToken: v.optional(
    v.pipe(
      v.string(),
      v.description(
        "The source's access token, when the server gives one other than the long-lived token the worker called it with (those never leave the worker).",
      ),
    ),
  ),
  clientIdentifier: v.optional(v.string()),
  name: v.optional(v.string()),
  connections: v.array(Connection),
})

export const PinCreatedResponse = v.object({
  id: v.pipe(v.string(), v.description('Poll GET /v1/pins/{id} with it.')),
  code: v.string(),
  authUrl: v.pipe(v.string(), v.description('Open it for the user: app.plex.tv asks them to approve.')),
  expiresAt: v.pipe(v.string(), v.isoTimestamp()),
  pollToken: v.pipe(
    v.string(),
    v.description('Send as the `X-Poll-Token` header when polling; only its creator can claim the PIN.'),
  ),
})

export const PinStatusResponse = v.variant('status', [
  v.object({ status: v.literal('pending') }),
  v.object({
    status: v.literal('authorized'),
    session: SessionInfo,
    user: User,
    access: v.optional(AccessInfo),
  }),
])

export const ServersResponse = v.object({
  servers: v.array(
    v.object({
      name: v.string(),
      clientIdentifier: v.string(),
      owned: v.boolean(),
      connections: v.array(v.object({ uri: v.string(), local: v.boolean(), relay: v.boolean() })),
    }),
  ),
})

export const HomeUsersResponse = v.object({
  users: v.array(
    v.object({
      id: v.number(),
      uuid: v.pipe(v.string(), v.description('Switch to the user with POST /v1/home/switch {uuid}.')),
      title: v.string(),
      thumb: v.optional(v.string()),
      restricted: v.pipe(v.boolean(), v.description('A managed user with content restrictions.')),
      admin: v.pipe(v.boolean(), v.description("The Home's admin (the account that owns it).")),
      protected: v.pipe(v.boolean(), v.description('The user has a PIN: switching to it needs `pin`.')),
    }),
  ),
})

export const SessionsResponse = v.object({
  sessions: v.array(
    v.object({
      id: v.pipe(
        v.string(),
        v.description('Opaque; end the session with DELETE /v1/sessions/{id}. Not its token.'),
      ),
      createdAt: v.pipe(v.string(), v.isoTimestamp()),
      lastUsedAt: v.pipe(
        v.string(),
        v.isoTimestamp(),
        v.description(
          'Recorded at most once a minute, and at most once per SESSION_CACHE_SECONDS per isolate.',
        ),
      ),
      deviceName: v.pipe(v.string(), v.description('The name Plex shows under "Authorized Devices".')),
      method: v.pipe(
        v.picklist(['password', 'pin', 'token']),
        v.description(
          'How the session was opened: password sign-in, PIN sign-in, or a Plex token exchanged.',
        ),
      ),
      current: v.pipe(v.boolean(), v.description('The session that asked.')),
    }),
  ),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.description('More sessions: pass it as `?cursor=` for the next page. Absent on the last page.'),
    ),
  ),
})

export const Problem = v.object({
  type: v.string(),
  title: v.string(),
  status: v.number(),
  detail: v.string(),
  code: v.picklist(Object.keys(PROBLEMS) as ProblemCode[]),
  issues: v.optional(
    v.pipe(
      v.array(v.object({ path: v.string(), message: v.string() })),
      v.description('For invalid_request: where and what was expected. Never the submitted value.'),
    ),
  ),
})
