import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import {
  pinSchema,
  resourcesSchema,
  signedInPlexAccountSchema,
  userPlexAccountSchema,
} from '../src/schemas.ts'

describe('schemas', () => {
  it('require only what callers need: id, uuid, username (and authToken after sign-in)', () => {
    expect(v.is(userPlexAccountSchema, { id: 1, uuid: 'u', username: 'a' })).toBe(true)
    expect(v.is(userPlexAccountSchema, { uuid: 'u', username: 'a' })).toBe(false)
    expect(v.is(signedInPlexAccountSchema, { id: 1, uuid: 'u', username: 'a' })).toBe(false)
    expect(v.is(signedInPlexAccountSchema, { id: 1, uuid: 'u', username: 'a', authToken: '' })).toBe(false)
    expect(v.is(signedInPlexAccountSchema, { id: 1, uuid: 'u', username: 'a', authToken: 't' })).toBe(true)
  })

  it('keep unknown fields and enum values no spec lists; accept null where Plex sends it', () => {
    const input = {
      id: 1,
      uuid: 'u',
      username: 'a',
      locale: null,
      thumb: null,
      mailingListStatus: 'some-future-status',
      subscription: {
        status: 'Paused',
        plan: null,
        paymentService: null,
        subscribedAt: null,
        features: ['brand-new-feature'],
        futureFlag: true,
      },
      queueUid: 'q',
      profile: { mediaPostsVisibility: 2 },
    }
    expect(v.parse(userPlexAccountSchema, input)).toEqual(input)
  })

  it('PINs: authToken null until approved, absent counts as null', () => {
    const pin = { id: 1, code: 'c', expiresAt: '2025-01-01T00:00:00Z', expiresIn: 1800 }
    expect(v.parse(pinSchema, pin).authToken).toBeNull()
    expect(v.parse(pinSchema, { ...pin, authToken: 't', newRegistration: null })).toMatchObject({
      authToken: 't',
    })
  })

  it('resources: a device without name or clientIdentifier is refused', () => {
    expect(v.is(resourcesSchema, [{ name: 'x' }])).toBe(false)
    expect(v.is(resourcesSchema, [])).toBe(true)
  })
})
