import { type BuildAuthUrlOptions, buildAuthUrl } from './build-auth-url.ts'
import { type CheckPinParams, checkPin } from './check-pin.ts'
import { type CreatePinParams, createPin } from './create-pin.ts'
import { type GetResourcesParams, getResources } from './get-resources.ts'
import {
  type GetSourceConnectionInformationParams,
  getSourceConnectionInformation,
  type SourceConnectionInformation,
} from './get-source-connection-information.ts'
import { type GetTokenDetailsParams, getTokenDetails } from './get-token-details.ts'
import {
  type GetTransientTokenParams,
  getTransientToken,
  type TransientToken,
} from './get-transient-token.ts'
import { mergeOptions, type PlexClientOptions } from './options.ts'
import { type PostUsersSignInDataParams, postUsersSignInData } from './post-users-sign-in-data.ts'
import type { PlexPin, PlexResource, SignedInPlexAccount, UserPlexAccount } from './schemas.ts'
import { type SignOutParams, signOut } from './sign-out.ts'

/** The operations with the client options bound; each call's options win over the client's. */
export interface PlexClient {
  readonly options: Readonly<PlexClientOptions>
  getTransientToken(params: GetTransientTokenParams): Promise<TransientToken>
  getSourceConnectionInformation(
    params: GetSourceConnectionInformationParams,
  ): Promise<SourceConnectionInformation>
  getTokenDetails(params?: GetTokenDetailsParams): Promise<UserPlexAccount>
  postUsersSignInData(params: PostUsersSignInDataParams): Promise<SignedInPlexAccount>
  createPin(params?: CreatePinParams): Promise<PlexPin>
  checkPin(params: CheckPinParams): Promise<PlexPin>
  getResources(params?: GetResourcesParams): Promise<PlexResource[]>
  signOut(params?: SignOutParams): Promise<void>
  buildAuthUrl(params: Omit<BuildAuthUrlOptions, 'clientIdentifier' | 'product'>): string
}

/**
 * A client bound to one installation's options. Nothing is checked or fetched until a call.
 *
 * @example
 * const plex = createPlexClient({ clientIdentifier: 'my-app-install-1', product: 'My App' })
 * const account = await plex.getTokenDetails({ token })
 */
export function createPlexClient(options: PlexClientOptions): PlexClient {
  const bound = { ...options }
  return {
    options: bound,
    getTransientToken: (params) => getTransientToken(mergeOptions(bound, params)),
    getSourceConnectionInformation: (params) => getSourceConnectionInformation(mergeOptions(bound, params)),
    getTokenDetails: (params) => getTokenDetails(mergeOptions(bound, params)),
    postUsersSignInData: (params) => postUsersSignInData(mergeOptions(bound, params)),
    createPin: (params) => createPin(mergeOptions(bound, params)),
    checkPin: (params) => checkPin(mergeOptions(bound, params)),
    getResources: (params) => getResources(mergeOptions(bound, params)),
    signOut: (params) => signOut(mergeOptions(bound, params)),
    buildAuthUrl: (params) =>
      buildAuthUrl({ ...params, clientIdentifier: bound.clientIdentifier, product: bound.product }),
  }
}
