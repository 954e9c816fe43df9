import { calculateJwkThumbprint, importJWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { ed25519Thumbprint, generateDeviceKey } from '../src/generate-device-key.ts'
import { createPin, createPlexClient, type PlexDeviceKey } from '../src/index.ts'
import { CLIENT_ID, everythingPrintable, plexErrorOf, setup } from './helpers.ts'

describe('generateDeviceKey', () => {
  it('README example: an Ed25519 key as plain JSON, kid its RFC 7638 thumbprint; no request', async () => {
    let requests = 0
    const plex = createPlexClient({
      clientIdentifier: CLIENT_ID,
      fetch: async () => {
        requests++
        return new Response()
      },
    })
    const deviceKey = await plex.generateDeviceKey()

    expect(deviceKey).toEqual({
      kid: expect.stringMatching(/^[\w-]{43}$/),
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[\w-]{43}$/) },
      privateJwk: {
        kty: 'OKP',
        crv: 'Ed25519',
        x: deviceKey.publicJwk.x,
        d: expect.stringMatching(/^[\w-]{43}$/),
      },
    })
    expect(deviceKey.kid).toBe(await calculateJwkThumbprint(deviceKey.publicJwk, 'sha256'))
    expect(requests).toBe(0)
    // Stored as JSON and read back, it is the same key, and WebCrypto takes both halves.
    const restored = JSON.parse(JSON.stringify(deviceKey)) as PlexDeviceKey
    expect(restored).toEqual(deviceKey)
    expect((await importJWK(restored.privateJwk, 'EdDSA')).type).toBe('private')
    expect((await importJWK(restored.publicJwk, 'EdDSA')).type).toBe('public')
  })

  it('makes a new key each time', async () => {
    const [a, b] = await Promise.all([generateDeviceKey(), generateDeviceKey()])
    expect(a.kid).not.toBe(b.kid)
    expect(a.privateJwk.d).not.toBe(b.privateJwk.d)
  })

  it('a key that is not a PlexDeviceKey is invalid_input before any request, its secret never quoted', async () => {
    const { fake, options } = setup()
    const key = await generateDeviceKey()
    const broken: unknown[] = [
      null,
      'a string',
      { ...key, kid: '' },
      { ...key, publicJwk: { ...key.publicJwk, crv: 'P-256' } },
      { ...key, privateJwk: { ...key.privateJwk, d: 'short' } },
      // 43 characters whose last one sets unused bits: Node and Bun would sign with it, Deno would not.
      { ...key, privateJwk: { ...key.privateJwk, d: `${key.privateJwk.d.slice(0, 42)}B` } },
      { ...key, privateJwk: { ...key.privateJwk, d: `${key.privateJwk.d.slice(0, 42)}+` } },
      { ...key, privateJwk: { ...key.privateJwk, x: (await generateDeviceKey()).publicJwk.x } },
      { kid: key.kid, publicJwk: key.publicJwk },
    ]
    for (const deviceKey of broken) {
      const error = await plexErrorOf(
        createPin({ ...options, deviceKey: deviceKey as PlexDeviceKey }),
        'invalid_input',
      )
      expect(error.message).toMatch(/^deviceKey must be a PlexDeviceKey/)
      expect(everythingPrintable(error)).not.toContain(key.privateJwk.d)
    }
    expect(fake.requests).toHaveLength(0)
  })

  it('kid: the RFC 7638 thumbprint, as RFC 8037 (appendix A.3) computes it for its example key, and as jose does', async () => {
    const rfc8037 = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } as const
    expect(await ed25519Thumbprint(rfc8037)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
    for (let i = 0; i < 20; i++) {
      const { kid, publicJwk } = await generateDeviceKey()
      expect(kid).toBe(await calculateJwkThumbprint(publicJwk, 'sha256'))
    }
  })
})
