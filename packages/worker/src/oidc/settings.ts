/*
 * The OIDC settings, as entries of the one configuration schema (config.ts): the clients (OIDC_CLIENTS),
 * the signing keys (OIDC_SIGNING_KEYS), the issuer and the lifetimes. Each parses JSON itself, so an
 * invalid value is a `misconfigured` naming the setting, never showing it.
 */
import * as v from 'valibot'

/** Lifetimes, in seconds. Short codes and access tokens; refresh tokens never outlive their session. */
export const OIDC_DEFAULTS = {
  codeTtlSeconds: 60,
  accessTokenTtlSeconds: 600,
  refreshTokenTtlSeconds: 30 * 24 * 3600,
} as const

/** JSON text parsed, or undefined (which the next action refuses) when it is not JSON. */
const json = v.transform((text: string): unknown => {
  if (text === '') return []
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
})

/** An http(s) URL without credentials or fragment, compared as written (exact redirect_uri matching). */
const RedirectUri = v.pipe(
  v.string(),
  v.check((value) => {
    try {
      const url = new URL(value)
      return (
        (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !url.hash
      )
    } catch {
      return false
    }
  }),
)

/** One relying party, as OIDC_CLIENTS lists it. */
export const OidcClientSchema = v.strictObject({
  client_id: v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,200}$/)),
  /** Absent: a public client (a browser or native app), which must use PKCE. At least 32 characters. */
  client_secret: v.optional(v.pipe(v.string(), v.minLength(32), v.maxLength(500))),
  redirect_uris: v.pipe(v.array(RedirectUri), v.minLength(1)),
  post_logout_redirect_uris: v.optional(v.array(RedirectUri), []),
  name: v.optional(v.pipe(v.string(), v.maxLength(200))),
})

export type OidcClient = v.InferOutput<typeof OidcClientSchema>

/** OIDC_CLIENTS: a JSON array of clients with distinct ids. Unset: no OIDC (its endpoints answer 404). */
export const oidcClients = v.pipe(
  v.optional(v.string(), ''),
  v.trim(),
  json,
  v.array(OidcClientSchema),
  v.check((clients) => new Set(clients.map((c) => c.client_id)).size === clients.length),
  v.transform((clients) => new Map(clients.map((client) => [client.client_id, client]))),
)

/** A private RSA JWK (the fields RS256 signing needs); `kid` optional (the thumbprint otherwise). */
const PrivateRsaJwk = v.looseObject({
  kty: v.literal('RSA'),
  n: v.string(),
  e: v.string(),
  d: v.string(),
  p: v.string(),
  q: v.string(),
  dp: v.string(),
  dq: v.string(),
  qi: v.string(),
  kid: v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,100}$/))),
  alg: v.optional(v.literal('RS256')),
})

export type PrivateRsaJwk = v.InferOutput<typeof PrivateRsaJwk>

/** OIDC_SIGNING_KEYS: a JSON array of private RSA JWKs, the first signing. Unset: generated (keys.ts). */
export const oidcSigningKeys = v.pipe(v.optional(v.string(), ''), v.trim(), json, v.array(PrivateRsaJwk))

/** OIDC_ISSUER: an https origin (http only on localhost), no path. Unset: the worker's own origin. */
export const oidcIssuer = v.pipe(
  v.optional(v.string(), ''),
  v.trim(),
  v.check((value) => {
    if (value === '') return true
    try {
      const url = new URL(value)
      const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1'
      return (
        (url.protocol === 'https:' || (local && url.protocol === 'http:')) &&
        url.origin === value.replace(/\/$/, '')
      )
    } catch {
      return false
    }
  }),
  v.transform((value) => (value === '' ? undefined : value.replace(/\/$/, ''))),
)
