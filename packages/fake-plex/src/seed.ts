/** A connection to a server, as plex.tv's /api/v2/resources lists it. */
export interface SeedConnection {
  protocol: 'http' | 'https'
  address: string
  port: number
  uri: string
  local: boolean
  relay: boolean
  IPv6?: boolean
  /** false: listed by /api/v2/resources, but fetch() to it rejects like an unreachable host. Default true. */
  reachable?: boolean
}

/** A Plex account. `login` is the username; sign-in also accepts the email. */
export interface SeedAccount {
  id: number
  uuid: string
  login: string
  email: string
  password: string
  /** The account's initial plex.tv token (20 characters), valid from the start. */
  token: string
  /** Fixed "TOTP" code for accounts with two-factor authentication. */
  verificationCode?: string
  title?: string
  plexPass?: boolean
  /** Open enum: real data carries 'inactive', which no spec lists. */
  mailingListStatus?: string
  country?: string
  joinedAt: number
  /** The account's Plex Home, of which it is the admin; without one, /api/v2/home/users answers 404. */
  home?: SeedHome
}

/** A Plex Home: its admin is the account that has it; these are its other members. */
export interface SeedHome {
  id: number
  name: string
  /** The admin's own Home PIN, if set: switching back to the admin then needs it too. */
  adminPin?: string
  users: SeedHomeUser[]
}

/** A managed user of a Home: no username, email or password; a PIN makes it `protected`. */
export interface SeedHomeUser {
  id: number
  uuid: string
  title: string
  /** Makes the user `protected`: a switch needs this PIN (else 403 code 1041). */
  pin?: string
  restricted: boolean
  /** Open enum: 'little_kid', 'older_kid', 'teen', or null. */
  restrictionProfile?: string | null
}

/** Access to someone else's server. `accessToken` is what the resources list and the PMS accepts. */
export interface SeedShare {
  login: string
  accessToken: string
}

/** A Plex Media Server. `id` is its clientIdentifier (machineIdentifier). */
export interface SeedServer {
  id: string
  name: string
  /** Base URL; fetch() to this origin reaches this PMS. */
  url: string
  ownerLogin: string
  version?: string
  /** Default: one local https connection to `url`. */
  connections?: SeedConnection[]
  shares?: SeedShare[]
}

export interface FakePlexSeed {
  accounts: SeedAccount[]
  servers: SeedServer[]
  /** Identifiers accepted as `provider://<id>` by /security/resources. */
  providers?: string[]
}

const ALICE_MAIN_ID = '4d1c3e9a5b7f2e8d6c0a1b3f5e7d9c2a4b6e8f01'
const ALICE_MAIN_HASH = '0f3b8a61c2d94e7f8a1b2c3d4e5f6a7b'
const ALICE_CABIN_ID = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432'
const ALICE_CABIN_HASH = '7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f'

/**
 * The default seed, documented in README.md. Tokens are fixed so tests can use them directly.
 * - alice: owns two servers, no 2FA, Plex Pass; a Home with "Kids" (PIN '1234') and "Dana" (no PIN).
 * - bob: 2FA with code '123456', shared access to alice's main server; no Home.
 * - carol: no server access; no Home.
 */
export const defaultSeed: FakePlexSeed = {
  accounts: [
    {
      id: 10000001,
      uuid: 'a11ce0000000a11c',
      login: 'alice',
      email: 'alice@example.com',
      password: 'alice-password',
      token: 'ALiCeT0kenFaKe9x2Qm7',
      title: 'Alice',
      plexPass: true,
      mailingListStatus: 'inactive',
      country: 'US',
      joinedAt: 1514764800,
      home: {
        id: 7000001,
        name: "Alice's Home",
        users: [
          {
            id: 10000011,
            uuid: 'k1d5000000000k1d',
            title: 'Kids',
            pin: '1234',
            restricted: true,
            restrictionProfile: 'little_kid',
          },
          {
            id: 10000012,
            uuid: 'da4a000000000da4',
            title: 'Dana',
            restricted: false,
            restrictionProfile: null,
          },
        ],
      },
    },
    {
      id: 10000002,
      uuid: 'b0b0000000000b0b',
      login: 'bob',
      email: 'bob@example.com',
      password: 'bob-password',
      token: 'B0bT0kenFaKe4Yz8Wq1P',
      verificationCode: '123456',
      title: 'Bob',
      mailingListStatus: 'active',
      country: 'DE',
      joinedAt: 1577836800,
    },
    {
      id: 10000003,
      uuid: 'ca201000000ca201',
      login: 'carol',
      email: 'carol@example.com',
      password: 'carol-password',
      token: 'CaR0lT0kenFaKe6Hn3Jd',
      title: 'Carol',
      mailingListStatus: 'unsubscribed',
      country: 'FR',
      joinedAt: 1609459200,
    },
  ],
  servers: [
    {
      id: ALICE_MAIN_ID,
      name: "Alice's Plex",
      url: `https://192-168-1-10.${ALICE_MAIN_HASH}.plex.direct:32400`,
      ownerLogin: 'alice',
      version: '1.41.3.9314-a0bfb8370',
      connections: [
        {
          protocol: 'https',
          address: '192.168.1.10',
          port: 32400,
          uri: `https://192-168-1-10.${ALICE_MAIN_HASH}.plex.direct:32400`,
          local: true,
          relay: false,
        },
        {
          protocol: 'https',
          address: '203.0.113.7',
          port: 32400,
          uri: `https://203-0-113-7.${ALICE_MAIN_HASH}.plex.direct:32400`,
          local: false,
          relay: false,
          // Port forwarding broken: listed, but nothing answers there.
          reachable: false,
        },
        {
          protocol: 'https',
          address: '198.51.100.20',
          port: 8443,
          uri: `https://198-51-100-20.${ALICE_MAIN_HASH}.plex.direct:8443`,
          local: false,
          relay: true,
        },
      ],
      shares: [{ login: 'bob', accessToken: 'BobShareAcc3ssT0k5nX' }],
    },
    {
      id: ALICE_CABIN_ID,
      name: 'Cabin',
      url: `https://10-0-0-7.${ALICE_CABIN_HASH}.plex.direct:32400`,
      ownerLogin: 'alice',
      version: '1.40.1.8227-c0dd5a73e',
      connections: [
        {
          protocol: 'https',
          address: '10.0.0.7',
          port: 32400,
          uri: `https://10-0-0-7.${ALICE_CABIN_HASH}.plex.direct:32400`,
          local: true,
          relay: false,
        },
        // Secure connections "preferred", not "required": the same PMS over plain http on the LAN.
        {
          protocol: 'http',
          address: '10.0.0.7',
          port: 32400,
          uri: 'http://10.0.0.7:32400',
          local: true,
          relay: false,
        },
      ],
    },
  ],
  providers: ['tv.plex.provider.epg', 'tv.plex.provider.vod'],
}
