import * as v from 'valibot'
import { SESSION_ID } from '../sessions/session-store.ts'

/*
 * Request schemas: the routes validate input with them, and the OpenAPI document describes the same ones,
 * so the docs cannot drift from what the worker checks. Response schemas are in response-schemas.ts.
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
