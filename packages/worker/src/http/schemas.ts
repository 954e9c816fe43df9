import * as v from 'valibot'
import { SESSION_ID } from '../sessions/session-store.ts'
import { PROBLEMS, type ProblemCode } from './problem.ts'

/*
 * Request schemas validate input; response schemas document output. Both feed the OpenAPI document
 * (openapi.ts), so the docs cannot drift from what the worker checks.
 */

const shortString = (max: number, description: string) =>
  v.pipe(v.string(), v.minLength(1), v.maxLength(max), v.description(description))

/** `POST /v1/sign-in` (JSON or form-encoded). */
export const SignInBody = v.object({
  login: shortString(256, 'Email address or username of the Plex account.'),
  password: shortString(1024, 'Password of the Plex account. Sent to plex.tv only, never stored.'),
  rememberMe: v.optional(v.pipe(v.boolean(), v.description('Passed to plex.tv. Default false.'))),
  verificationCode: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[0-9]{4,10}$/),
      v.description('The two-factor code, for accounts with two-factor authentication.'),
    ),
  ),
})

/** `POST /v1/transient-token`. */
export const TransientTokenBody = v.object({
  type: v.optional(v.pipe(v.literal('delegation'), v.description('The only type Plex has.'))),
  scope: v.optional(v.pipe(v.literal('all'), v.description('The only scope Plex has.'))),
  server: v.optional(
    shortString(
      512,
      'Origin of an allowed server (PLEX_SERVER_URL, ALLOWED_SERVER_URLS, or a connection URI from GET /v1/servers), or a server clientIdentifier from GET /v1/servers. Default PLEX_SERVER_URL.',
    ),
  ),
  fresh: v.optional(v.pipe(v.boolean(), v.description('Ignore (and replace) the cached token.'))),
})

/** `GET /v1/source-connection` query. */
export const SourceConnectionQuery = v.object({
  source: v.pipe(
    v.string(),
    v.maxLength(512),
    v.regex(/^(server|provider):\/\/[A-Za-z0-9._~:@!$&'()*+,;=%-]+$/),
    v.description('`server://<clientIdentifier>` or `provider://<providerIdentifier>`.'),
  ),
  server: TransientTokenBody.entries.server,
  refresh: v.optional(
    v.pipe(v.picklist(['0', '1', 'true', 'false']), v.description('Ask the server to refresh.')),
  ),
})

/** `POST /v1/pins`. */
export const PinBody = v.object({
  forwardUrl: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(2048),
      v.url(),
      v.description('Where app.plex.tv sends the user after approving. Must be on an allowed origin.'),
    ),
  ),
})

/** `GET /v1/pins/{id}` path. */
export const PinParams = v.object({
  id: v.pipe(v.string(), v.regex(/^[0-9]{1,15}$/), v.description('The PIN id from POST /v1/pins.')),
})

/** `POST /v1/home/switch`. */
export const HomeSwitchBody = v.object({
  uuid: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9]{1,64}$/),
    v.description(
      'The `uuid` of a Home user from GET /v1/home/users (letters and digits, as Plex makes them).',
    ),
  ),
  pin: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[0-9]{4}$/),
      v.description(
        "The Home user's 4-digit PIN, when it is `protected`. Sent to plex.tv only, never stored.",
      ),
    ),
  ),
})

/** `POST /v1/sessions`. */
export const SessionExchangeBody = v.object({
  plexToken: v.pipe(
    v.string(),
    v.minLength(1),
    // Long enough for a Plex JWT, which is refused with its own message (routes/sessions.ts).
    v.maxLength(2048),
    v.regex(/^[\x21-\x7e]+$/),
    v.description(
      'A legacy plex.tv token the frontend already has (for example from its own PIN flow); not a Plex JWT.',
    ),
  ),
})

/** `GET /v1/forward-auth/return` query. */
export const ForwardAuthReturnQuery = v.object({
  rd: v.pipe(
    v.string(),
    v.maxLength(4096),
    v.description('Where the visitor was going: an https URL on a host in FORWARD_AUTH_HOSTS.'),
  ),
})

/** `GET /v1/user` query. */
export const UserQuery = v.object({
  from: v.optional(
    v.pipe(
      v.picklist(['plex', 'claims']),
      v.description(
        '`plex` (default): the whole account from plex.tv, which also checks the token is still alive. `claims`: for a ' +
          'Plex JWT session, answered from the verified claims of its JWT without calling plex.tv: only `id`, `uuid`, ' +
          '`username`, `email`, `friendlyName` and `title`, and a token revoked at plex.tv is not noticed until its ' +
          'JWT expires (7 days at most). A legacy session always asks plex.tv.',
      ),
    ),
  ),
})

/** `POST /v1/sign-out`. */
export const SignOutBody = v.object({
  everywhere: v.optional(
    v.pipe(
      v.boolean(),
      v.description(
        '`true` ends every session of the account at once, not only this one (their tokens are revoked in the background).',
      ),
    ),
  ),
})

/** `GET /v1/sessions` query: the page after `cursor` (from the previous page). */
export const SessionsQuery = v.object({
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{16}\.[A-Za-z0-9_-]{22}$/),
      v.description('The `cursor` of the previous page.'),
    ),
  ),
})

/** `DELETE /v1/sessions/{id}` path. */
export const SessionIdParams = v.object({
  id: v.pipe(
    v.string(),
    v.regex(SESSION_ID),
    v.description('The `id` of a session from GET /v1/sessions (not its token).'),
  ),
})

// ---- responses (documentation only) ----

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
