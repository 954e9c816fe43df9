/** UserPlexAccount objects shaped like real plex.tv answers, unlisted fields included. */
import type { SeedAccount, SeedHomeUser } from './seed.ts'
import { isoSeconds } from './wire.ts'

const PLEX_PASS_FEATURES = [
  'Android - PiP',
  'CU Sunset',
  'HRK_enable_EUR',
  'TREBLE-show-features',
  'ad-countdown-timer',
  'adaptive_bitrate',
  'download_certificates',
  'hardware_transcoding',
  'hevc_encoding',
  'music-analysis',
  'sonic-adventure',
  'webhooks',
]

/**
 * GET /api/v2/user body. Real answers carry fields no spec lists (certificateVersion, queueEmail,
 * queueUid, profile.mediaPostsVisibility) and enum values no spec lists (mailingListStatus 'inactive'):
 * they are here on purpose, so clients prove they keep unknown fields and treat enums as open.
 */
export function userPlexAccount(
  account: SeedAccount,
  authToken: string,
  now: number,
  rememberMe = false,
): Record<string, unknown> {
  const plexPass = account.plexPass === true
  const subscription = plexPass
    ? {
        active: true,
        subscribedAt: '2019-03-14T09:26:53Z',
        status: 'Active',
        paymentService: 'braintree',
        plan: 'lifetime',
        features: PLEX_PASS_FEATURES,
      }
    : {
        active: false,
        subscribedAt: null,
        status: 'Inactive',
        paymentService: null,
        plan: null,
        features: [],
      }
  const rememberDays = rememberMe ? 365 : 14
  return {
    id: account.id,
    uuid: account.uuid,
    username: account.login,
    title: account.title ?? account.login,
    email: account.email,
    friendlyName: account.title ?? account.login,
    locale: null,
    confirmed: true,
    joinedAt: account.joinedAt,
    emailOnlyAuth: false,
    hasPassword: true,
    protected: account.home?.adminPin !== undefined,
    thumb: `https://plex.tv/users/${account.uuid}/avatar?c=${account.joinedAt}`,
    authToken,
    mailingListStatus: account.mailingListStatus ?? 'active',
    mailingListActive: account.mailingListStatus === 'active',
    scrobbleTypes: '',
    country: account.country ?? 'US',
    subscription,
    subscriptionDescription: plexPass ? 'Plex Pass (lifetime)' : null,
    restricted: false,
    anonymous: null,
    home: account.home !== undefined,
    guest: false,
    homeSize: 1 + (account.home?.users.length ?? 0),
    homeAdmin: account.home !== undefined,
    maxHomeSize: 15,
    rememberExpiresAt: Math.floor(now / 1000) + rememberDays * 86400,
    profile: {
      autoSelectAudio: true,
      defaultAudioLanguage: 'en',
      defaultSubtitleLanguage: null,
      autoSelectSubtitle: 0,
      defaultSubtitleAccessibility: 0,
      defaultSubtitleForced: 1,
      watchedIndicator: 1,
      mediaReviewsVisibility: 0,
      mediaPostsVisibility: 1,
    },
    entitlements: plexPass ? ['all'] : [],
    roles: plexPass ? ['plexpass'] : [],
    services: [
      {
        identifier: 'metadata-dev',
        endpoint: 'https://epg.provider.plex.tv',
        token: `svc-metadata-${account.uuid}-secret`,
        secret: null,
        status: 'online',
      },
      {
        identifier: 'imagetranscoder',
        endpoint: 'https://images.plex.tv',
        token: null,
        secret: `svc-imagetranscoder-${account.uuid}-secret`,
        status: 'online',
      },
    ],
    adsConsent: null,
    adsConsentSetAt: null,
    adsConsentReminderAt: null,
    experimentalFeatures: false,
    twoFactorEnabled: account.verificationCode !== undefined,
    backupCodesCreated: account.verificationCode !== undefined,
    attributionPartner: null,
    subscriptions: plexPass ? [{ ...subscription, type: 'plexpass', id: account.id + 500000 }] : [],
    // Fields and values no spec lists: here so that clients prove they tolerate them.
    certificateVersion: 2,
    queueEmail: `queue+${account.uuid}@save.plex.tv`,
    queueUid: `${account.uuid}q`,
    pin: null,
  }
}

/** POST /api/v2/users/signin body: the account plus pastSubscriptions[] and trials[]. */
export function signInBody(
  account: SeedAccount,
  authToken: string,
  now: number,
  rememberMe: boolean,
): Record<string, unknown> {
  const pastSubscriptions = account.plexPass
    ? []
    : [
        {
          id: null,
          mode: 'monthly',
          renewsAt: null,
          endsAt: 1640995200,
          canceled: true,
          gracePeriod: false,
          onHold: false,
          canReactivate: false,
          canUpgrade: false,
          canDowngrade: false,
          canConvert: false,
          type: 'plexpass',
          transfer: null,
          state: 'ended',
          billing: { internalPaymentMethod: {}, paymentMethodId: null },
        },
      ]
  return {
    ...userPlexAccount(account, authToken, now, rememberMe),
    pastSubscriptions,
    trials: [],
    createdAt: isoSeconds(account.joinedAt * 1000),
  }
}

/**
 * The account of a managed user of `admin`'s Home, as a switch and GET /api/v2/user answer it: no username,
 * email or password of its own (null, as in the Home's user list), the admin's subscription, no services.
 */
export function managedUserAccount(
  admin: SeedAccount,
  user: SeedHomeUser,
  authToken: string,
  now: number,
): Record<string, unknown> {
  return {
    ...userPlexAccount(admin, authToken, now),
    id: user.id,
    uuid: user.uuid,
    username: null,
    title: user.title,
    email: null,
    friendlyName: user.title,
    hasPassword: false,
    protected: user.pin !== undefined,
    thumb: `https://plex.tv/users/${user.uuid}/avatar?c=${admin.joinedAt}`,
    restricted: user.restricted,
    homeAdmin: false,
    twoFactorEnabled: false,
    backupCodesCreated: false,
    mailingListStatus: 'unsubscribed',
    mailingListActive: false,
    services: [],
    queueEmail: `queue+${user.uuid}@save.plex.tv`,
    queueUid: `${user.uuid}q`,
  }
}
