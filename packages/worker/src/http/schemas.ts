import * as v from 'valibot'
import { SESSION_ID } from '../sessions/session-store.ts'

/*
 * Request schemas: the routes validate input with them, and the OpenAPI document describes the same ones,
 * so the docs cannot drift from what the worker checks. Each field's description is in its route's docs
 * (described.ts says why); response schemas are in response-schemas.ts.
 */

const shortString = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max))

/** `POST /v1/sign-in` (JSON or form-encoded). */
export const SignInBody = v.object({
  login: shortString(256),
  password: shortString(1024),
  rememberMe: v.optional(v.boolean()),
  verificationCode: v.optional(v.pipe(v.string(), v.regex(/^[0-9]{4,10}$/))),
})

/** `POST /v1/transient-token`. */
export const TransientTokenBody = v.object({
  type: v.optional(v.literal('delegation')),
  scope: v.optional(v.literal('all')),
  server: v.optional(shortString(512)),
  fresh: v.optional(v.boolean()),
})

/** `GET /v1/source-connection` query. */
export const SourceConnectionQuery = v.object({
  source: v.pipe(
    v.string(),
    v.maxLength(512),
    v.regex(/^(server|provider):\/\/[A-Za-z0-9._~:@!$&'()*+,;=%-]+$/),
  ),
  server: TransientTokenBody.entries.server,
  refresh: v.optional(v.picklist(['0', '1', 'true', 'false'])),
})

/** `POST /v1/pins`. */
export const PinBody = v.object({
  forwardUrl: v.optional(v.pipe(v.string(), v.maxLength(2048), v.url())),
})

/** `GET /v1/pins/{id}` path. */
export const PinParams = v.object({
  id: v.pipe(v.string(), v.regex(/^[0-9]{1,15}$/)),
})

/** `POST /v1/home/switch`. */
export const HomeSwitchBody = v.object({
  uuid: v.pipe(v.string(), v.regex(/^[A-Za-z0-9]{1,64}$/)),
  pin: v.optional(v.pipe(v.string(), v.regex(/^[0-9]{4}$/))),
})

/** `POST /v1/sessions`. */
export const SessionExchangeBody = v.object({
  plexToken: v.pipe(
    v.string(),
    v.minLength(1),
    // Long enough for a Plex JWT, which is refused with its own message (routes/sessions.ts).
    v.maxLength(2048),
    v.regex(/^[\x21-\x7e]+$/),
  ),
})

/** `GET /v1/forward-auth/return` query. */
export const ForwardAuthReturnQuery = v.object({
  rd: v.pipe(v.string(), v.maxLength(4096)),
})

/** `GET /v1/user` query. */
export const UserQuery = v.object({
  from: v.optional(v.picklist(['plex', 'claims'])),
})

/** `POST /v1/sign-out`. */
export const SignOutBody = v.object({
  everywhere: v.optional(v.boolean()),
})

/** `GET /v1/sessions` query: the page after `cursor` (from the previous page). */
export const SessionsQuery = v.object({
  cursor: v.optional(v.pipe(v.string(), v.regex(/^\d{16}\.[A-Za-z0-9_-]{22}$/))),
})

/** `DELETE /v1/sessions/{id}` path. */
export const SessionIdParams = v.object({
  id: v.pipe(v.string(), v.regex(SESSION_ID)),
})
