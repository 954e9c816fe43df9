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
export {
  type PostUsersSignInDataParams,
  postUsersSignInData,
  type SignedInPlexAccount,
} from './post-users-sign-in-data.ts'
export type { PlexConnection, PlexPin, PlexSubscription, UserPlexAccount } from './schemas.ts'
export { type SignOutParams, signOut } from './sign-out.ts'
