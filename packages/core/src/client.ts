import { buildAuthUrl } from './build-auth-url.ts'
import { checkPin } from './check-pin.ts'
import { createPin } from './create-pin.ts'
import { generateDeviceKey } from './generate-device-key.ts'
import { getHomeUsers } from './get-home-users.ts'
import { getResources } from './get-resources.ts'
import { getSourceConnectionInformation } from './get-source-connection-information.ts'
import { getTokenDetails } from './get-token-details.ts'
import { getTransientToken } from './get-transient-token.ts'
import { mergeOptions, type PlexClientOptions } from './options.ts'
import { ping } from './ping.ts'
import { postUsersSignInData } from './post-users-sign-in-data.ts'
import { refreshPlexJwt } from './refresh-plex-jwt.ts'
import { registerDeviceKey } from './register-device-key.ts'
import { signDeviceJwt } from './sign-device-jwt.ts'
import { signOut } from './sign-out.ts'
import { switchHomeUser } from './switch-home-user.ts'
import { type PlexJwtVerifierOptions, verifyPlexJwt } from './verify-plex-jwt.ts'

/** Every operation the client binds: a new operation is its file plus one line here. */
const operations = {
  getTransientToken,
  getSourceConnectionInformation,
  getTokenDetails,
  postUsersSignInData,
  createPin,
  checkPin,
  getResources,
  signOut,
  buildAuthUrl,
  generateDeviceKey,
  signDeviceJwt,
  registerDeviceKey,
  refreshPlexJwt,
  verifyPlexJwt,
  ping,
  getHomeUsers,
  switchHomeUser,
}

/**
 * What a method takes: the operation's own options without the client's. Operations take
 * `PlexClientOptions & Params`, so that is `Params`; verifyPlexJwt takes `PlexJwtVerifierOptions & Params`
 * (its client identifier is optional); buildAuthUrl and signDeviceJwt, which make no request, take only
 * `clientIdentifier` (and `product`) of them.
 */
type CallParams<Options> = Options extends PlexClientOptions & infer Params
  ? 'clientIdentifier' extends keyof Params
    ? Omit<Params, 'clientIdentifier' | 'product'>
    : Params
  : Options extends PlexJwtVerifierOptions & infer Params
    ? Params
    : never

/**
 * An operation with the client options bound; the params are optional when every field of them is.
 * generateDeviceKey takes nothing, and so does its method.
 */
type ClientMethod<Operation> = Operation extends () => infer Result
  ? () => Result
  : Operation extends (options: infer Options) => infer Result
    ? Record<string, never> extends CallParams<Options>
      ? (params?: CallParams<Options>) => Result
      : (params: CallParams<Options>) => Result
    : never

/** The methods of {@link PlexClient}, one per entry of the operations record. */
type PlexClientMethods = {
  [Name in keyof typeof operations]: ClientMethod<(typeof operations)[Name]>
}

/** The operations with the client options bound; each call's options win over the client's. */
export interface PlexClient extends PlexClientMethods {
  readonly options: Readonly<PlexClientOptions>
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
  const methods = Object.fromEntries(
    Object.entries(operations).map(([name, operation]) => [
      name,
      (params?: object) => (operation as (options: object) => unknown)(mergeOptions(bound, params)),
    ]),
  )
  // One method per entry of the record, each calling its operation with `bound` under the call's
  // options: what PlexClientMethods describes. (buildAuthUrl reads only clientIdentifier and product,
  // signDeviceJwt only clientIdentifier, generateDeviceKey nothing.)
  return { ...methods, options: bound } as PlexClient
}
