/*
 * The authorization endpoint (OpenID Connect Core 3.1.2): code flow only. A browser with a session whose
 * user the access policy allows goes straight back to the client with a code (configured clients are
 * trusted: no consent screen); without one it goes to the worker's sign-in page, which comes back here
 * once signed in (`/?oidc=<this request>`: the page goes only to this path of its own origin).
 */
import type { Context } from 'hono'
import { roleNow } from '../access/access.ts'
import type { OidcConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { ProblemError } from '../http/problem.ts'
import { defineRoute, type RouteDocs } from '../http/route.ts'
import { readQuery } from '../http/validation.ts'
import { grantedScope } from '../oidc/claims.ts'
import { htmlPage, redirectToClient } from '../oidc/errors.ts'
import { grantsOf, issuerOf, newToken, OIDC_PATHS, oidcOf } from '../oidc/provider.ts'
import { AuthorizeQuery } from '../oidc/schemas.ts'
import type { OidcClient } from '../oidc/settings.ts'
import { requireSession } from '../sessions/session.ts'

/** A PKCE challenge: base64url of a SHA-256 digest. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/

/** The client and redirect URI of a request, checked before anything is redirected anywhere. */
function clientOf(
  oidc: OidcConfig,
  query: Record<string, string>,
): { client: OidcClient; redirectUri: string } | Response {
  const client = query.client_id === undefined ? undefined : oidc.clients.get(query.client_id)
  if (!client)
    return htmlPage(
      400,
      'Unknown application',
      'This sign-in link names an application this service does not know.',
    )
  const redirectUri = query.redirect_uri
  // Exact matching: no prefix, no normalisation (RFC 9700 2.1).
  if (redirectUri === undefined || !client.redirect_uris.includes(redirectUri))
    return htmlPage(
      400,
      'Unknown return address',
      'This sign-in link would return to an address the application did not register.',
    )
  return { client, redirectUri }
}

/** What is wrong with an authorization request, as an OAuth error to send back to the client. */
function requestError(client: OidcClient, query: Record<string, string>): [string, string] | undefined {
  if (query.request !== undefined || query.request_uri !== undefined)
    return ['request_not_supported', 'Request objects are not supported.']
  if (query.response_type !== 'code')
    return ['unsupported_response_type', 'Only response_type=code is supported.']
  if (!(query.scope ?? '').split(' ').includes('openid'))
    return ['invalid_scope', 'The scope must include openid.']
  if (query.response_mode !== undefined && query.response_mode !== 'query')
    return ['invalid_request', 'Only response_mode=query is supported.']
  const challenge = query.code_challenge
  if (challenge !== undefined && (query.code_challenge_method !== 'S256' || !CHALLENGE.test(challenge)))
    return ['invalid_request', 'PKCE needs code_challenge_method=S256 and a base64url SHA-256 challenge.']
  if (challenge === undefined && client.client_secret === undefined)
    return ['invalid_request', 'A public client must use PKCE (code_challenge with S256).']
  for (const name of ['state', 'nonce'] as const)
    if ((query[name]?.length ?? 0) > 512) return ['invalid_request', `The ${name} is too long.`]
  return undefined
}

/** The session of the browser, or why there is none to use. */
async function sessionOf(c: Context<AppEnv>): Promise<'signed-out' | 'denied' | 'ok'> {
  try {
    await requireSession(c, async () => {})
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) return 'signed-out'
    if (error instanceof ProblemError && error.code === 'not_a_member') return 'denied'
    throw error
  }
  return roleNow(c.var.config, c.var.session) === undefined ? 'denied' : 'ok'
}

export const oidcAuthorize = defineRoute(
  {
    method: 'GET',
    path: OIDC_PATHS.authorize,
    changesState: true,
    errorPage: true,
  },
  async (c) => {
    const oidc = oidcOf(c)
    const query = readQuery(c)
    const checked = clientOf(oidc, query)
    if (checked instanceof Response) return checked
    const { client, redirectUri } = checked
    const iss = issuerOf(c, oidc)
    const back = (params: Record<string, string | undefined>) =>
      redirectToClient(redirectUri, { ...params, state: query.state, iss })
    const wrong = requestError(client, query)
    if (wrong) return back({ error: wrong[0], error_description: wrong[1] })

    const state = await sessionOf(c)
    if (state === 'denied')
      return back({
        error: 'access_denied',
        error_description: 'This Plex account may not use this application.',
      })
    if (state === 'signed-out') {
      if (query.prompt === 'none')
        return back({ error: 'login_required', error_description: 'Not signed in.' })
      const here = new URL(c.req.url)
      const signIn = new URL('/', c.req.url)
      signIn.searchParams.set('oidc', here.pathname + here.search)
      return c.redirect(signIn.href, 302)
    }
    const { session, now } = c.var
    const code = await newToken(session.id)
    await grantsOf(oidc, session.id).issueCode(code.hash, {
      clientId: client.client_id,
      redirectUri,
      ...(query.code_challenge !== undefined ? { codeChallenge: query.code_challenge } : {}),
      scope: grantedScope(query.scope ?? ''),
      ...(query.nonce !== undefined ? { nonce: query.nonce } : {}),
      sessionHash: session.hash,
      sessionExpiresAt: session.expiresAt,
      authTime: Math.floor(session.createdAt / 1000),
      expiresAt: now() + oidc.codeTtlSeconds * 1000,
    })
    return back({ code: code.token })
  },
)

/**
 * `GET /v1/oidc/authorize/cancel`: the sign-in page's way back when the person gives up or the access
 * policy refuses their sign-in: `error=access_denied` to the client's registered redirect_uri (the same
 * checks as the authorization endpoint; anyone may send themselves back with this error, nothing more).
 */
export const oidcAuthorizeCancel = defineRoute(
  {
    method: 'GET',
    path: `${OIDC_PATHS.authorize}/cancel`,
    errorPage: true,
  },
  (c) => {
    const oidc = oidcOf(c)
    const query = readQuery(c)
    const checked = clientOf(oidc, query)
    if (checked instanceof Response) return checked
    return redirectToClient(checked.redirectUri, {
      error: 'access_denied',
      error_description: 'The sign-in was refused or cancelled.',
      state: query.state,
      iss: issuerOf(c, oidc),
    })
  },
)

/** OpenAPI text of `oidcAuthorize`: only the build-time document reads it (routes/route-docs.ts). */
export const oidcAuthorizeDocs = (): RouteDocs => ({
  summary: 'OpenID Connect authorization endpoint (code flow, PKCE S256)',
  description:
    'Signed in and allowed: 302 to the redirect_uri with `code`, `state` and `iss` (RFC 9207). Not signed in: 302 to ' +
    'the sign-in page, which returns here. Denied by the access policy: 302 with `error=access_denied`. An unknown ' +
    'client_id or redirect_uri: an HTML error page (400), never a redirect.',
  request: { query: AuthorizeQuery },
  response: {
    status: 302,
    description: 'Back to the client with a code or an error, or to the sign-in page',
  },
  problems: ['not_found'],
})

/** OpenAPI text of `oidcAuthorizeCancel`: only the build-time document reads it (routes/route-docs.ts). */
export const oidcAuthorizeCancelDocs = (): RouteDocs => ({
  summary: 'OpenID Connect: back to the client with error=access_denied (sign-in refused or given up)',
  request: { query: AuthorizeQuery },
  response: { status: 302, description: 'Back to the client with error=access_denied' },
  problems: ['not_found'],
})
