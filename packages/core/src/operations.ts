/*
 * Every operation of the core, one export statement each: the function (a standalone call) and its types.
 * `createPlexClient` binds each function exported here as a method, and index.ts re-exports them all,
 * so a new operation is its file plus one statement in this list.
 */

export { type BuildAuthUrlOptions, buildAuthUrl } from './build-auth-url.ts'
export { type CheckPinParams, checkPin } from './check-pin.ts'
export { type CreatePinParams, createPin } from './create-pin.ts'
export {
  generateDeviceKey,
  type PlexDeviceKey,
  type PlexPrivateJwk,
  type PlexPublicJwk,
  type PlexWireJwk,
} from './generate-device-key.ts'
export { type GetHomeUsersParams, getHomeUsers, type PlexHomeUser } from './get-home-users.ts'
export { type GetResourcesParams, getResources, type PlexResource } from './get-resources.ts'
export {
  type AccessDeniedReason,
  type AccessOptions,
  type AccessRole,
  type GetServerAccessParams,
  getServerAccess,
  type ServerAccess,
  type ServerAccessEntry,
  type ServerRole,
} from './get-server-access.ts'
export {
  type GetSourceConnectionInformationParams,
  getSourceConnectionInformation,
  type SourceConnectionInformation,
} from './get-source-connection-information.ts'
export { type GetTokenDetailsParams, getTokenDetails } from './get-token-details.ts'
export {
  type GetTransientTokenParams,
  getTransientToken,
  type TransientToken,
} from './get-transient-token.ts'
export { type PingParams, ping } from './ping.ts'
export {
  type PostUsersSignInDataParams,
  postUsersSignInData,
  type SignedInPlexAccount,
} from './post-users-sign-in-data.ts'
export { type RefreshedPlexJwt, type RefreshPlexJwtParams, refreshPlexJwt } from './refresh-plex-jwt.ts'
export { type RegisterDeviceKeyParams, registerDeviceKey } from './register-device-key.ts'
export { type SignDeviceJwtOptions, signDeviceJwt } from './sign-device-jwt.ts'
export { type SignOutParams, signOut } from './sign-out.ts'
export { type SwitchedHomeUser, type SwitchHomeUserParams, switchHomeUser } from './switch-home-user.ts'
export {
  type PlexJwks,
  type PlexJwtClaims,
  type PlexJwtUser,
  type PlexJwtVerifierOptions,
  type VerifyPlexJwtParams,
  verifyPlexJwt,
} from './verify-plex-jwt.ts'
