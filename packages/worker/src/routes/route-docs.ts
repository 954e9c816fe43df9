/*
 * The OpenAPI text of every route (summary, description), kept beside each handler as `<route>Docs` but
 * read only here, by the build-time document (src/http/openapi-document.ts): nothing imports this from the worker,
 * so none of it ships in the runtime bundle.
 */
import type { Route, RouteDocs } from '../http/route.ts'
import { access, accessDocs } from './access.ts'
import { docs, docsDocs } from './docs.ts'
import { forwardAuth, forwardAuthDocs, forwardAuthReturn, forwardAuthReturnDocs } from './forward-auth.ts'
import { health, healthDocs } from './health.ts'
import { homeSwitch, homeSwitchDocs } from './home-switch.ts'
import { homeUsers, homeUsersDocs } from './home-users.ts'
import {
  oidcAuthorize,
  oidcAuthorizeCancel,
  oidcAuthorizeCancelDocs,
  oidcAuthorizeDocs,
} from './oidc-authorize.ts'
import { oidcDiscovery, oidcDiscoveryDocs, oidcJwks, oidcJwksDocs } from './oidc-discovery.ts'
import { oidcEndSession, oidcEndSessionDocs } from './oidc-end-session.ts'
import { oidcRevoke, oidcRevokeDocs } from './oidc-revoke.ts'
import { oidcToken, oidcTokenDocs } from './oidc-token.ts'
import { oidcUserinfo, oidcUserinfoDocs, oidcUserinfoPost } from './oidc-userinfo.ts'
import { createPin, createPinDocs, pollPin, pollPinDocs } from './pins.ts'
import { servers, serversDocs } from './servers.ts'
import { sessionDelete, sessionDeleteDocs } from './session-delete.ts'
import { sessions, sessionsDocs } from './sessions.ts'
import { sessionsList, sessionsListDocs } from './sessions-list.ts'
import { signIn, signInDocs } from './sign-in.ts'
import { signOut, signOutDocs } from './sign-out.ts'
import { sourceConnection, sourceConnectionDocs } from './source-connection.ts'
import { transientToken, transientTokenDocs } from './transient-token.ts'
import { user, userDocs } from './user.ts'

/** Each route's OpenAPI text. */
export const ROUTE_DOCS: ReadonlyMap<Route, RouteDocs> = new Map<Route, RouteDocs>([
  [access, accessDocs()],
  [docs, docsDocs()],
  [forwardAuth, forwardAuthDocs()],
  [forwardAuthReturn, forwardAuthReturnDocs()],
  [health, healthDocs()],
  [homeSwitch, homeSwitchDocs()],
  [homeUsers, homeUsersDocs()],
  [oidcAuthorize, oidcAuthorizeDocs()],
  [oidcAuthorizeCancel, oidcAuthorizeCancelDocs()],
  [oidcDiscovery, oidcDiscoveryDocs()],
  [oidcJwks, oidcJwksDocs()],
  [oidcEndSession, oidcEndSessionDocs()],
  [oidcRevoke, oidcRevokeDocs()],
  [oidcToken, oidcTokenDocs()],
  [createPin, createPinDocs()],
  [pollPin, pollPinDocs()],
  [servers, serversDocs()],
  [sessionDelete, sessionDeleteDocs()],
  [sessionsList, sessionsListDocs()],
  [sessions, sessionsDocs()],
  [signIn, signInDocs()],
  [signOut, signOutDocs()],
  [sourceConnection, sourceConnectionDocs()],
  [transientToken, transientTokenDocs()],
  [user, userDocs()],
  [oidcUserinfo, oidcUserinfoDocs()],
  [oidcUserinfoPost, oidcUserinfoDocs()],
])
