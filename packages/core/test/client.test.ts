import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  type BuildAuthUrlOptions,
  type CheckPinParams,
  type CreatePinParams,
  createPlexClient,
  type GetHomeUsersParams,
  type GetResourcesParams,
  type GetServerAccessParams,
  type GetSourceConnectionInformationParams,
  type GetTokenDetailsParams,
  type GetTransientTokenParams,
  type PingParams,
  type PlexClient,
  type PlexClientOptions,
  type PlexDeviceKey,
  type PlexHomeUser,
  type PlexJwtClaims,
  type PlexPin,
  type PlexResource,
  type PostUsersSignInDataParams,
  type RefreshedPlexJwt,
  type RefreshPlexJwtParams,
  type RegisterDeviceKeyParams,
  type ServerAccess,
  type SignDeviceJwtOptions,
  type SignedInPlexAccount,
  type SignOutParams,
  type SourceConnectionInformation,
  type SwitchedHomeUser,
  type SwitchHomeUserParams,
  type TransientToken,
  type UserPlexAccount,
  type VerifyPlexJwtParams,
} from '../src/index.ts'
import { plexErrorOf, setup } from './helpers.ts'

describe('createPlexClient', () => {
  it('checks and fetches nothing until a call', () => {
    let calls = 0
    const plex = createPlexClient({
      clientIdentifier: '',
      fetch: async () => {
        calls++
        return new Response()
      },
    })
    expect(calls).toBe(0)
    expect(plex.options.clientIdentifier).toBe('')
  })

  it('merges client and call headers, the call winning', async () => {
    const { fake, options, alice } = setup()
    const plex = createPlexClient({ ...options, headers: { 'X-Plex-Language': 'en', 'X-Trace': 'client' } })
    await plex.getTokenDetails({ token: alice.token, headers: { 'X-Trace': 'call' } })
    expect(fake.requests[0]?.headers).toMatchObject({ 'x-plex-language': 'en', 'x-trace': 'call' })
  })

  it('binds clientIdentifier and product into buildAuthUrl', () => {
    const plex = createPlexClient({ clientIdentifier: 'id', product: 'P' })
    expect(plex.buildAuthUrl({ code: 'c' })).toBe(
      'https://app.plex.tv/auth#?clientID=id&code=c&context%5Bdevice%5D%5Bproduct%5D=P',
    )
  })

  it('a client without a usable clientIdentifier fails every call with invalid_input', async () => {
    const { fake, alice } = setup()
    const plex = createPlexClient({ clientIdentifier: ' ', fetch: fake.fetch, token: alice.token })
    await plexErrorOf(plex.getTokenDetails(), 'invalid_input')
    await plexErrorOf(plex.createPin(), 'invalid_input')
    expect(fake.requests).toHaveLength(0)
  })

  it('types each method as its operation without the client options, params optional when they may be', () => {
    // Checked by tsc (npm run typecheck), not at run time: the record of operations must give exactly these.
    expectTypeOf<PlexClient>().toEqualTypeOf<{
      readonly options: Readonly<PlexClientOptions>
      getTransientToken: (params: GetTransientTokenParams) => Promise<TransientToken>
      getSourceConnectionInformation: (
        params: GetSourceConnectionInformationParams,
      ) => Promise<SourceConnectionInformation>
      getTokenDetails: (params?: GetTokenDetailsParams) => Promise<UserPlexAccount>
      postUsersSignInData: (params: PostUsersSignInDataParams) => Promise<SignedInPlexAccount>
      createPin: (params?: CreatePinParams) => Promise<PlexPin>
      checkPin: (params: CheckPinParams) => Promise<PlexPin>
      getResources: (params?: GetResourcesParams) => Promise<PlexResource[]>
      getServerAccess: (params?: GetServerAccessParams) => Promise<ServerAccess>
      signOut: (params?: SignOutParams) => Promise<void>
      buildAuthUrl: (params: Omit<BuildAuthUrlOptions, 'clientIdentifier' | 'product'>) => string
      generateDeviceKey: () => Promise<PlexDeviceKey>
      signDeviceJwt: (params: Omit<SignDeviceJwtOptions, 'clientIdentifier' | 'product'>) => Promise<string>
      registerDeviceKey: (params: RegisterDeviceKeyParams) => Promise<void>
      refreshPlexJwt: (params: RefreshPlexJwtParams) => Promise<RefreshedPlexJwt>
      verifyPlexJwt: (params?: VerifyPlexJwtParams) => Promise<PlexJwtClaims>
      ping: (params?: PingParams) => Promise<void>
      getHomeUsers: (params?: GetHomeUsersParams) => Promise<PlexHomeUser[]>
      switchHomeUser: (params: SwitchHomeUserParams) => Promise<SwitchedHomeUser>
    }>()
    const plex = createPlexClient({ clientIdentifier: 'id' })
    expect(Object.keys(plex).sort()).toEqual([
      'buildAuthUrl',
      'checkPin',
      'createPin',
      'generateDeviceKey',
      'getHomeUsers',
      'getResources',
      'getServerAccess',
      'getSourceConnectionInformation',
      'getTokenDetails',
      'getTransientToken',
      'options',
      'ping',
      'postUsersSignInData',
      'refreshPlexJwt',
      'registerDeviceKey',
      'signDeviceJwt',
      'signOut',
      'switchHomeUser',
      'verifyPlexJwt',
    ])
  })
})
