import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import {
  pinSchema,
  resourcesSchema,
  signedInPlexAccountSchema,
  sourceConnectionSchema,
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

  it('connections: one without a uri is dropped, the others kept (every field is optional in the spec)', () => {
    const answer = {
      MediaContainer: {
        size: 1,
        Device: {
          name: 'Den',
          Connection: [
            { protocol: 'https', address: '10.0.0.5', port: 32400 },
            { uri: 'https://10-0-0-5.x.plex.direct:32400' },
          ],
        },
      },
    }
    const parsed = v.parse(sourceConnectionSchema, answer)
    const device = parsed.MediaContainer.Device
    expect(Array.isArray(device) ? undefined : device?.Connection).toEqual([
      { uri: 'https://10-0-0-5.x.plex.direct:32400', local: false, relay: false },
    ])
    const [server] = v.parse(resourcesSchema, [
      {
        name: 'Den',
        clientIdentifier: 'abc',
        connections: [{ address: '10.0.0.5' }, { uri: 'https://a:1' }],
      },
    ])
    expect(server?.connections.map((c) => c.uri)).toEqual(['https://a:1'])
  })
})
