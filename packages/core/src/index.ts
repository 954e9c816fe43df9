export { type BuildAuthUrlOptions, buildAuthUrl } from './build-auth-url.ts'
export { type CheckPinParams, checkPin } from './check-pin.ts'
export { createPlexClient, type PlexClient } from './client.ts'
export { type CreatePinParams, createPin } from './create-pin.ts'
export {
  isPlexError,
  PLEX_ERROR_CODES,
  PlexError,
  type PlexErrorCode,
  type PlexErrorDetail,
  type PlexErrorJSON,
  type PlexErrorOptions,
} from './errors.ts'
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
export type {
  PlexCallOptions,
  PlexClientOptions,
  PlexFetch,
  PlexRetryInfo,
  PlexRetryOptions,
} from './options.ts'
export { type PingParams, ping } from './ping.ts'
export {
  type PostUsersSignInDataParams,
  postUsersSignInData,
  type SignedInPlexAccount,
} from './post-users-sign-in-data.ts'
export {
  DEFAULT_PLEX_JWT_SCOPE,
  type RefreshedPlexJwt,
  type RefreshPlexJwtParams,
  refreshPlexJwt,
} from './refresh-plex-jwt.ts'
export { type RegisterDeviceKeyParams, registerDeviceKey } from './register-device-key.ts'
export type { PlexConnection, PlexPin, PlexSubscription, UserPlexAccount } from './schemas.ts'
export {
  DEVICE_JWT_LIFETIME_SECONDS,
  type SignDeviceJwtOptions,
  signDeviceJwt,
} from './sign-device-jwt.ts'
export { type SignOutParams, signOut } from './sign-out.ts'
export {
  type SwitchedHomeUser,
  type SwitchHomeUserParams,
  switchHomeUser,
} from './switch-home-user.ts'
export {
  PLEX_JWT_CLOCK_TOLERANCE_SECONDS,
  type PlexJwks,
  type PlexJwtClaims,
  type PlexJwtUser,
  type PlexJwtVerifierOptions,
  type VerifyPlexJwtParams,
  verifyPlexJwt,
} from './verify-plex-jwt.ts'
