/*
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the client sends the person here to end
 * their worker session, with an ID token it was issued (`id_token_hint`), then back to one of its
 * registered post_logout_redirect_uris. The hint is required and verified (RS256, this issuer): a link
 * or image on a stranger's page cannot sign anyone out. Ending the session ends every token issued in it.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { ProblemError } from '../http/problem.ts'
import { defineRoute, type RouteDocs } from '../http/route.ts'
import { readQuery } from '../http/validation.ts'
import { htmlPage, redirectToClient } from '../oidc/errors.ts'
import { signingKeysOf, verifiedIdToken } from '../oidc/keys.ts'
import { issuerOf, OIDC_PATHS, oidcOf } from '../oidc/provider.ts'
import { EndSessionQuery } from '../oidc/schemas.ts'
import { endSessions, requireSessionToEnd } from '../sessions/session.ts'
import { clearedSessionCookie } from '../sessions/session-cookie.ts'

/** The browser's session, when it has one that is alive. */
async function hasSession(c: Context<AppEnv>): Promise<boolean> {
  try {
    await requireSessionToEnd(c, async () => {})
    return true
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) return false
    throw error
  }
}

export const oidcEndSession = defineRoute(
  {
    method: 'GET',
    path: OIDC_PATHS.endSession,
    changesState: true,
    errorPage: true,
  },
  async (c) => {
    const oidc = oidcOf(c)
    const query = readQuery(c)
    const keys = await signingKeysOf(oidc, c.var.config.kv, c.var.store)
    const hint =
      query.id_token_hint === undefined
        ? undefined
        : await verifiedIdToken(keys, query.id_token_hint, issuerOf(c, oidc))
    const clientId = typeof hint?.aud === 'string' ? hint.aud : undefined
    const client = clientId === undefined ? undefined : oidc.clients.get(clientId)
    if (!hint || !client || (query.client_id !== undefined && query.client_id !== clientId))
      return htmlPage(
        400,
        'Cannot sign out',
        'This sign-out link does not come from an application signed in here.',
      )
    const to = query.post_logout_redirect_uri
    if (to !== undefined && !client.post_logout_redirect_uris.includes(to))
      return htmlPage(
        400,
        'Unknown return address',
        'This sign-out link would return to an address the application did not register.',
      )
    let cleared: string | undefined
    if ((await hasSession(c)) && c.var.session.profile?.uuid === hint.sub) {
      await endSessions(c, [c.var.session.id])
      cleared = clearedSessionCookie(c.var.config.sessionCookieDomain)
    }
    const response = redirectToClient(to ?? new URL('/', c.req.url).href, {
      state: to === undefined ? undefined : query.state,
    })
    if (cleared) response.headers.set('Set-Cookie', cleared)
    return response
  },
)

/** OpenAPI text of `oidcEndSession`: only the build-time document reads it (routes/route-docs.ts). */
export const oidcEndSessionDocs = (): RouteDocs => ({
  summary: 'OpenID Connect end_session_endpoint: ends the worker session, back to a post_logout_redirect_uri',
  description:
    "Needs `id_token_hint` (an ID token this provider issued to the client; expired is fine). Ends the browser's " +
    "session when it is the hint's user, and with it every token issued in that session. 302 to the " +
    'post_logout_redirect_uri (registered for the client, with `state`), or to the sign-in page. A bad hint or ' +
    'an unregistered URI: an HTML error page (400), never a redirect.',
  request: { query: EndSessionQuery },
  response: {
    status: 302,
    description: 'Signed out: to the post_logout_redirect_uri or the sign-in page',
    setsCookie: true,
  },
  problems: ['not_found'],
})
