import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { connectionsSchema, pinSchema, userPlexAccountSchema } from '../src/schemas.ts'

describe('shared schemas', () => {
  it('accounts require only what callers need: id, uuid, username', () => {
    expect(v.is(userPlexAccountSchema, { id: 1, uuid: 'u', username: 'a' })).toBe(true)
    expect(v.is(userPlexAccountSchema, { uuid: 'u', username: 'a' })).toBe(false)
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

  it('connections: one without a uri is dropped, the others kept (every field is optional in the spec)', () => {
    const connections = v.parse(connectionsSchema, [
      { protocol: 'https', address: '10.0.0.5', port: 32400 },
      { uri: 'https://10-0-0-5.x.plex.direct:32400' },
      'not a connection',
    ])
    expect(connections).toEqual([{ uri: 'https://10-0-0-5.x.plex.direct:32400', local: false, relay: false }])
    expect(v.is(connectionsSchema, { uri: 'https://a:1' })).toBe(false)
  })
})
