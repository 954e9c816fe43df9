export { createPlexClient, type PlexClient } from './client.ts'
export {
  isPlexError,
  PLEX_ERROR_CODES,
  PlexError,
  type PlexErrorCode,
  type PlexErrorDetail,
  type PlexErrorJSON,
  type PlexErrorOptions,
} from './errors.ts'
export { accessFromResources } from './get-server-access.ts'
export * from './operations.ts'
export type {
  PlexCallOptions,
  PlexClientOptions,
  PlexFetch,
  PlexRetryInfo,
  PlexRetryOptions,
} from './options.ts'
export { isPlexJwt } from './options.ts'
export { DEFAULT_PLEX_JWT_SCOPE } from './refresh-plex-jwt.ts'
export type { PlexConnection, PlexPin, PlexSubscription, UserPlexAccount } from './schemas.ts'
export { DEVICE_JWT_LIFETIME_SECONDS } from './sign-device-jwt.ts'
export { PLEX_JWT_CLOCK_TOLERANCE_SECONDS } from './verify-plex-jwt.ts'
