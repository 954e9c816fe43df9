/** plex.tv's Plex Home routes: the members of a Home, and switching to one (with its PIN). */
import type { Hono } from 'hono'
import { PLEX_TV_ERRORS, plexTvError } from './plex-errors.ts'
import { requestDevice, tokenCaller } from './plex-tv.ts'
import type { SeedAccount, SeedHome } from './seed.ts'
import type { FakeState } from './state.ts'
import { managedUserAccount, userPlexAccount } from './user.ts'
import { negotiated } from './wire.ts'

/** GET /api/v2/home/users: the Home, with the admin first, then its managed users. */
function homeBody(admin: SeedAccount, home: SeedHome): Record<string, unknown> {
  const thumb = (uuid: string): string => `https://plex.tv/users/${uuid}/avatar?c=${admin.joinedAt}`
  return {
    id: home.id,
    name: home.name,
    guestUserID: null,
    guestUserUUID: null,
    guestEnabled: false,
    subscription: admin.plexPass === true,
    users: [
      {
        id: admin.id,
        uuid: admin.uuid,
        title: admin.title ?? admin.login,
        username: admin.login,
        email: admin.email,
        friendlyName: admin.title ?? admin.login,
        thumb: thumb(admin.uuid),
        hasPassword: true,
        restricted: false,
        updatedAt: admin.joinedAt,
        restrictionProfile: null,
        admin: true,
        guest: false,
        protected: home.adminPin !== undefined,
      },
      ...home.users.map((user) => ({
        id: user.id,
        uuid: user.uuid,
        title: user.title,
        // Managed users have neither: null, as plex.tv writes them.
        username: null,
        email: null,
        friendlyName: null,
        thumb: thumb(user.uuid),
        hasPassword: false,
        restricted: user.restricted,
        updatedAt: admin.joinedAt,
        restrictionProfile: user.restrictionProfile ?? null,
        admin: false,
        guest: false,
        protected: user.pin !== undefined,
      })),
    ],
  }
}

export function registerHomeRoutes(app: Hono, state: FakeState): void {
  // Any member's token reads the Home; an account without one gets 404.
  app.get('/api/v2/home/users', (c) => {
    const caller = tokenCaller(c.req.raw, state)
    if (caller instanceof Response) return caller
    const { account } = caller.member
    if (!account.home) return plexTvError(c.req.raw, PLEX_TV_ERRORS.notFound)
    return negotiated(c.req.raw, 'home', homeBody(account, account.home))
  })

  // A new token for a member of the caller's Home, issued to the calling device (rotating its earlier one).
  app.post('/api/v2/home/users/:uuid/switch', (c) => {
    const caller = tokenCaller(c.req.raw, state)
    if (caller instanceof Response) return caller
    const { account } = caller.member
    const home = account.home
    if (!home) return plexTvError(c.req.raw, PLEX_TV_ERRORS.notFound)
    const uuid = c.req.param('uuid')
    const managed = home.users.find((user) => user.uuid === uuid)
    if (!managed && uuid !== account.uuid) return plexTvError(c.req.raw, PLEX_TV_ERRORS.notFound)
    // Quirk: the PIN travels in the query; a missing or wrong one is 403 code 1041, even for the admin.
    const pin = managed ? managed.pin : home.adminPin
    if (pin !== undefined && c.req.query('pin') !== pin) {
      return plexTvError(c.req.raw, PLEX_TV_ERRORS.homePinRequired)
    }
    const token = state.issueToken(account.login, requestDevice(c.req.raw), managed?.uuid)
    const body = managed
      ? managedUserAccount(account, managed, token, state.now())
      : userPlexAccount(account, token, state.now())
    return negotiated(c.req.raw, 'user', body, 201)
  })
}
