/*
 * Which relying party is asking: OIDC_CLIENTS (settings.ts) holds them. A client with a secret is
 * confidential and authenticates with HTTP Basic (client_secret_basic) or in the form
 * (client_secret_post); one without is public (a browser or native app) and must use PKCE.
 */
import type { Context } from 'hono'
import type { OidcConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { oauthError } from './errors.ts'
import { readOAuthForm } from './form.ts'
import type { OidcClient } from './settings.ts'

const encoder = new TextEncoder()

/**
 * Whether two secrets are equal, in time that does not depend on where they differ: both are hashed
 * first, so even their lengths stay hidden.
 */
export async function secretsEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all(
    [given, expected].map(
      async (s) => new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(s))),
    ),
  )
  let diff = 0
  for (let i = 0; i < a!.length; i++) diff |= a![i]! ^ b![i]!
  return diff === 0
}

/** RFC 6749 2.3.1: Basic credentials are form-encoded before base64. */
function basicCredentials(header: string): { id: string; secret: string } | undefined {
  const encoded = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header)?.[1]
  if (!encoded) return undefined
  try {
    const decoded = atob(encoded)
    const colon = decoded.indexOf(':')
    if (colon < 0) return undefined
    const decode = (s: string) => decodeURIComponent(s.replaceAll('+', ' '))
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

/**
 * The client a token or revocation request comes from, authenticated; or the OAuth error to answer
 * with (401 invalid_client). Secrets are compared in constant time and never logged or echoed.
 */
export async function authenticateClient(
  c: Context<AppEnv>,
  oidc: OidcConfig,
  form: Record<string, string>,
): Promise<OidcClient | Response> {
  const header = c.req.header('Authorization')
  const basic = header === undefined ? undefined : basicCredentials(header)
  const challenge = { 'WWW-Authenticate': 'Basic realm="oidc"' }
  if (header !== undefined && !basic)
    return oauthError(401, 'invalid_client', 'Malformed client credentials.', challenge)
  if (
    basic &&
    (form.client_secret !== undefined || (form.client_id !== undefined && form.client_id !== basic.id))
  )
    return oauthError(400, 'invalid_request', 'Use one way of client authentication.')
  const id = basic?.id ?? form.client_id
  const secret = basic?.secret ?? form.client_secret
  const client = id === undefined ? undefined : oidc.clients.get(id)
  const refused = oauthError(401, 'invalid_client', 'Client authentication failed.', basic ? challenge : {})
  if (!client) return refused
  if (client.client_secret === undefined) return secret === undefined ? client : refused
  if (secret === undefined || !(await secretsEqual(secret, client.client_secret))) return refused
  return client
}

/**
 * A back-channel request (token, revocation): its form and its client, authenticated; or the OAuth error
 * to answer with.
 */
export async function clientRequest(
  c: Context<AppEnv>,
  oidc: OidcConfig,
): Promise<{ form: Record<string, string>; client: OidcClient } | Response> {
  const form = await readOAuthForm(c)
  if (form instanceof Response) return form
  const client = await authenticateClient(c, oidc, form)
  if (client instanceof Response) return client
  return { form, client }
}
