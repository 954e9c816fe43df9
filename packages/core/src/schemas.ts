import * as v from 'valibot'

// Validation at the boundary, shared parts only: each operation's own response schema and result type
// live in its file; what two operations share is here. We require only what callers need, keep every
// unknown field (looseObject) and treat Plex's enums as open strings: the generated SDKs broke every
// time Plex added a field or an enum value. Types are written by hand so the published API reads well;
// `GenericSchema<unknown, T>` makes TypeScript check each schema against its type.

export const optionalString = v.optional(v.string())
export const optionalBoolean = v.optional(v.boolean())
export const nullishString = v.nullish(v.string())

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
  /** null for a managed Plex Home user (its token comes from switchHomeUser). */
  username: string | null
  title?: string
  /** null for a managed Plex Home user. */
  email?: string | null
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

const subscriptionSchema: v.GenericSchema<unknown, PlexSubscription> = v.looseObject({
  active: optionalBoolean,
  status: optionalString,
  plan: nullishString,
  paymentService: nullishString,
  subscribedAt: nullishString,
  features: v.optional(v.array(v.string())),
})

/** The entries of {@link userPlexAccountSchema}, for the sign-in's schema to tighten `authToken`. */
export const userPlexAccountEntries = {
  id: v.number(),
  uuid: v.string(),
  // Quirk: a managed Plex Home user's account has `username: null` and `email: null`.
  username: v.nullable(v.string()),
  title: optionalString,
  email: nullishString,
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

export const userPlexAccountSchema: v.GenericSchema<unknown, UserPlexAccount> =
  v.looseObject(userPlexAccountEntries)

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

// `local`/`relay` are optional in the spec; absent means false.
const connectionSchema: v.GenericSchema<unknown, PlexConnection> = v.looseObject({
  uri: v.string(),
  protocol: optionalString,
  address: optionalString,
  port: v.optional(v.number()),
  local: v.optional(v.boolean(), false),
  relay: v.optional(v.boolean(), false),
})

// Every connection field is optional in Plex's spec, but a connection without a `uri` cannot be used:
// such entries are dropped instead of failing the whole answer.
export const connectionsSchema: v.GenericSchema<unknown, PlexConnection[]> = v.pipe(
  v.array(v.unknown()),
  v.transform((items) =>
    items.flatMap((item) => {
      const result = v.safeParse(connectionSchema, item)
      return result.success ? [result.output] : []
    }),
  ),
)

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

// Shared by createPin and checkPin: both answer with the PIN.
export const pinSchema: v.GenericSchema<unknown, PlexPin> = v.looseObject({
  id: v.number(),
  code: v.string(),
  expiresAt: v.string(),
  expiresIn: v.number(),
  authToken: v.optional(v.nullable(v.string()), null),
  clientIdentifier: optionalString,
})
