import { decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { createPlexClient, generateDeviceKey, signDeviceJwt } from '../src/index.ts'
import { CLIENT_ID, plexErrorOf } from './helpers.ts'

describe('signDeviceJwt', () => {
  it('README example: header {kid, alg: EdDSA, typ: JWT}, payload {aud, iss, iat, exp: iat + 300}', async () => {
    const deviceKey = await generateDeviceKey()
    const before = Math.floor(Date.now() / 1000)
    const jwt = await signDeviceJwt({ clientIdentifier: 'my-app-install-1', deviceKey })

    expect(decodeProtectedHeader(jwt)).toEqual({ kid: deviceKey.kid, alg: 'EdDSA', typ: 'JWT' })
    const { payload } = await jwtVerify(jwt, await importJWK(deviceKey.publicJwk, 'EdDSA'), {
      algorithms: ['EdDSA'],
    })
    expect(payload).toEqual({
      aud: 'plex.tv',
      iss: 'my-app-install-1',
      iat: expect.any(Number),
      exp: expect.any(Number),
    })
    expect(payload.iat).toBeGreaterThanOrEqual(before)
    expect(payload.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300)
    // Compact JWS: the payload's JSON keeps the documented order.
    const json = new TextDecoder().decode(
      Uint8Array.from(atob((jwt.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')), (c) =>
        c.charCodeAt(0),
      ),
    )
    expect(Object.keys(JSON.parse(json))).toEqual(['aud', 'iss', 'iat', 'exp'])
  })

  it('carries nonce and scope when refreshing; the client binds its clientIdentifier', async () => {
    const deviceKey = await generateDeviceKey()
    const plex = createPlexClient({ clientIdentifier: CLIENT_ID })
    const jwt = await plex.signDeviceJwt({ deviceKey, nonce: 'n-1', scope: 'username,email' })
    const { payload } = await jwtVerify(jwt, await importJWK(deviceKey.publicJwk, 'EdDSA'))
    expect(payload).toMatchObject({ iss: CLIENT_ID, nonce: 'n-1', scope: 'username,email' })
  })

  it('invalid_input for a missing client identifier, an empty nonce or scope, or a bad key', async () => {
    const deviceKey = await generateDeviceKey()
    await plexErrorOf(signDeviceJwt({ clientIdentifier: ' ', deviceKey }), 'invalid_input')
    await plexErrorOf(signDeviceJwt({ clientIdentifier: 'c', deviceKey, nonce: '' }), 'invalid_input')
    await plexErrorOf(signDeviceJwt({ clientIdentifier: 'c', deviceKey, scope: '' }), 'invalid_input')
    await plexErrorOf(
      signDeviceJwt({ clientIdentifier: 'c', deviceKey: { ...deviceKey, privateJwk: undefined as never } }),
      'invalid_input',
    )
  })

  it('signs the very bytes jose’s SignJWT signed before (Ed25519 is deterministic): same header, same claims', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_767_225_600_500 })
    try {
      const deviceKey = await generateDeviceKey()
      const jwt = await signDeviceJwt({
        clientIdentifier: CLIENT_ID,
        deviceKey,
        nonce: 'n',
        scope: 'username',
      })
      const iat = 1_767_225_600
      const viaSignJwt = await new SignJWT({
        aud: 'plex.tv',
        iss: CLIENT_ID,
        iat,
        exp: iat + 300,
        nonce: 'n',
        scope: 'username',
      })
        .setProtectedHeader({ kid: deviceKey.kid, alg: 'EdDSA', typ: 'JWT' })
        .sign(await importJWK(deviceKey.privateJwk, 'EdDSA'))
      expect(jwt).toBe(viaSignJwt)
    } finally {
      vi.useRealTimers()
    }
  })
})
