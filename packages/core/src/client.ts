import * as operations from './operations.ts'
import { mergeOptions, type PlexClientOptions } from './options.ts'
import type { PlexJwtVerifierOptions } from './verify-plex-jwt.ts'

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

/** The methods of {@link PlexClient}, one per function operations.ts exports. */
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
