import * as v from 'valibot'

// Validation at the boundary. We require only what callers need, keep every unknown field
// (looseObject) and treat Plex's enums as open strings: the generated SDKs broke every time Plex
// added a field or an enum value. Types are written by hand so the published API reads well;
// `GenericSchema<unknown, T>` makes TypeScript check each schema against its type.

/** A Plex subscription; `status` is usually "Active" or "Inactive" but kept open. */
export interface PlexSubscription {
  active?: boolean
  status?: string
  plan?: string | null
  paymentService?: string | null
  subscribedAt?: string | null
  features?: string[]
  [key: string]: unknown
}

/** The plex.tv account behind a token (GET /api/v2/user). Unknown fields are kept. */
export interface UserPlexAccount {
  id: number
  uuid: string
  username: string
  title?: string
  email?: string
  friendlyName?: string
  thumb?: string | null
  locale?: string | null
  authToken?: string
  hasPassword?: boolean
  twoFactorEnabled?: boolean
  joinedAt?: number
  /** `active`, `unsubscribed`, `removed`, `inactive`, ...: open. */
  mailingListStatus?: string
  subscription?: PlexSubscription
  home?: boolean
  homeAdmin?: boolean
  restricted?: boolean
  guest?: boolean
  [key: string]: unknown
}

/** The account a sign-in returns: always with its new `authToken`. */
export interface SignedInPlexAccount extends UserPlexAccount {
  authToken: string
}

/** One way to reach a server. */
export interface PlexConnection {
  uri: string
  protocol?: string
  address?: string
  port?: number
  local: boolean
  relay: boolean
  [key: string]: unknown
}

/** A device of the account (GET /api/v2/resources); servers have `provides` containing "server". */
export interface PlexResource {
  name: string
  clientIdentifier: string
  /** Comma-separated: "server", "player,pubsub-player", ... */
  provides: string
  owned: boolean
  /** The token to send to this server. */
  accessToken?: string
  connections: PlexConnection[]
  [key: string]: unknown
}

/** A PIN of the PIN sign-in flow; `authToken` turns from null to a token once the user approves. */
export interface PlexPin {
  id: number
  code: string
  expiresAt: string
  expiresIn: number
  authToken: string | null
  clientIdentifier?: string
  [key: string]: unknown
}

const optionalString = v.optional(v.string())
const optionalBoolean = v.optional(v.boolean())
const nullishString = v.nullish(v.string())

export const subscriptionSchema: v.GenericSchema<unknown, PlexSubscription> = v.looseObject({
  active: optionalBoolean,
  status: optionalString,
  plan: nullishString,
  paymentService: nullishString,
  subscribedAt: nullishString,
  features: v.optional(v.array(v.string())),
})

const userEntries = {
  id: v.number(),
  uuid: v.string(),
  username: v.string(),
  title: optionalString,
  email: optionalString,
  friendlyName: optionalString,
  thumb: nullishString,
  locale: nullishString,
  authToken: optionalString,
  hasPassword: optionalBoolean,
  twoFactorEnabled: optionalBoolean,
  joinedAt: v.optional(v.number()),
  mailingListStatus: optionalString,
  subscription: v.optional(subscriptionSchema),
  home: optionalBoolean,
  homeAdmin: optionalBoolean,
  restricted: optionalBoolean,
  guest: optionalBoolean,
}

export const userPlexAccountSchema: v.GenericSchema<unknown, UserPlexAccount> = v.looseObject(userEntries)

export const signedInPlexAccountSchema: v.GenericSchema<unknown, SignedInPlexAccount> = v.looseObject({
  ...userEntries,
  authToken: v.pipe(v.string(), v.nonEmpty()),
})

// `local`/`relay` are optional in the spec; absent means false.
export const connectionSchema: v.GenericSchema<unknown, PlexConnection> = v.looseObject({
  uri: v.string(),
  protocol: optionalString,
  address: optionalString,
  port: v.optional(v.number()),
  local: v.optional(v.boolean(), false),
  relay: v.optional(v.boolean(), false),
})

// Every connection field is optional in Plex's spec, but a connection without a `uri` cannot be used:
// such entries are dropped instead of failing the whole answer.
const connectionsSchema: v.GenericSchema<unknown, PlexConnection[]> = v.pipe(
  v.array(v.unknown()),
  v.transform((items) =>
    items.flatMap((item) => {
      const result = v.safeParse(connectionSchema, item)
      return result.success ? [result.output] : []
    }),
  ),
)

export const transientTokenSchema: v.GenericSchema<unknown, { MediaContainer: { token: string } }> = v.object(
  {
    MediaContainer: v.looseObject({ token: v.pipe(v.string(), v.nonEmpty()) }),
  },
)

/** The Device of GET /security/resources, as Plex sends it. */
export interface SourceDevice {
  name?: string
  clientIdentifier?: string
  accessToken?: string
  Connection?: PlexConnection[]
  [key: string]: unknown
}

const sourceDeviceSchema: v.GenericSchema<unknown, SourceDevice> = v.looseObject({
  name: optionalString,
  clientIdentifier: optionalString,
  accessToken: optionalString,
  Connection: v.optional(connectionsSchema),
})

// Quirk: `Device` is one object, not an array (every other MediaContainer list is an array). We accept
// an array too, in case a server version sends one, and every field is optional as in the spec.
export const sourceConnectionSchema: v.GenericSchema<
  unknown,
  { MediaContainer: { Device?: SourceDevice | SourceDevice[] } }
> = v.object({
  MediaContainer: v.looseObject({
    // Array first: an object schema with only optional fields would also accept an array.
    Device: v.optional(v.union([v.array(sourceDeviceSchema), sourceDeviceSchema])),
  }),
})

export const pinSchema: v.GenericSchema<unknown, PlexPin> = v.looseObject({
  id: v.number(),
  code: v.string(),
  expiresAt: v.string(),
  expiresIn: v.number(),
  authToken: v.optional(v.nullable(v.string()), null),
  clientIdentifier: optionalString,
})

const resourceSchema: v.GenericSchema<unknown, PlexResource> = v.looseObject({
  name: v.string(),
  clientIdentifier: v.string(),
  provides: v.optional(v.string(), ''),
  owned: v.optional(v.boolean(), false),
  // Plex sends null for devices whose token we may not have; null becomes absent.
  accessToken: v.pipe(
    nullishString,
    v.transform((value) => value ?? undefined),
  ),
  connections: v.optional(connectionsSchema, () => []),
})

export const resourcesSchema: v.GenericSchema<unknown, PlexResource[]> = v.array(resourceSchema)
