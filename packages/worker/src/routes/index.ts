import type { Route } from '../http/route.ts'
import { access } from './access.ts'
import { docs } from './docs.ts'
import { forwardAuth, forwardAuthReturn } from './forward-auth.ts'
import { health } from './health.ts'
import { homeSwitch } from './home-switch.ts'
import { homeUsers } from './home-users.ts'
import { oidcAuthorize, oidcAuthorizeCancel } from './oidc-authorize.ts'
import { oidcDiscovery, oidcJwks } from './oidc-discovery.ts'
import { oidcEndSession } from './oidc-end-session.ts'
import { oidcRevoke } from './oidc-revoke.ts'
import { oidcToken } from './oidc-token.ts'
import { oidcUserinfo, oidcUserinfoPost } from './oidc-userinfo.ts'
import { createPin, pollPin } from './pins.ts'
import { servers } from './servers.ts'
import { sessionDelete } from './session-delete.ts'
import { sessions } from './sessions.ts'
import { sessionsList } from './sessions-list.ts'
import { signIn } from './sign-in.ts'
import { signOut } from './sign-out.ts'
import { sourceConnection } from './source-connection.ts'
import { transientToken } from './transient-token.ts'
import { user } from './user.ts'

/** The API under /v1: what /openapi.json documents, in the document's order. */
export const API_ROUTES: readonly Route[] = [
  health,
  signIn,
  user,
  transientToken,
  sourceConnection,
  signOut,
  createPin,
  pollPin,
  sessions,
  sessionsList,
  sessionDelete,
  servers,
  homeUsers,
  homeSwitch,
  access,
  forwardAuth,
  forwardAuthReturn,
  oidcDiscovery,
  oidcJwks,
  oidcAuthorize,
  oidcAuthorizeCancel,
  oidcToken,
  oidcUserinfo,
  oidcUserinfoPost,
  oidcRevoke,
  oidcEndSession,
]

/**
 * Every route the worker serves: the API and its reference page. The one list app.ts mounts, route-table.ts
 * takes methods (405, `Allow`, CORS preflight) from, and the fuzz and OpenAPI tests loop over. A new route
 * is one file in this folder plus one line here. The OpenAPI document is a static asset, /openapi.json,
 * built from API_ROUTES at build time (src/http/openapi-document.ts).
 */
export const ROUTES: readonly Route[] = [...API_ROUTES, docs]
