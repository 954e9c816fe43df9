import { CompactSign } from 'jose'
import { importEd25519, type PlexDeviceKey, readDeviceKey } from './generate-device-key.ts'
import { invalidInput } from './options.ts'

/** What {@link signDeviceJwt} takes. */
export interface SignDeviceJwtOptions {
  /** The device's X-Plex-Client-Identifier: the JWT's `iss`. */
  clientIdentifier: string
  deviceKey: PlexDeviceKey
  /** A nonce from plex.tv (`GET /auth/nonce`), when refreshing. */
  nonce?: string
  /** The claims wanted in the Plex JWT, comma-separated, when refreshing (e.g. `username,email`). */
  scope?: string
}

/**
 * A device JWT lives 5 minutes: `exp` is `iat` + 300. Short by choice: Plex's documented example signs
 * one for an hour and plex.tv accepts that (the 5 minutes its documentation mentions is the nonce's life),
 * but a device JWT only has to reach plex.tv once.
 */
export const DEVICE_JWT_LIFETIME_SECONDS = 300

/**
 * A device JWT: the device's proof that it holds its key, signed with it (EdDSA). Header
 * `{kid, alg: 'EdDSA', typ: 'JWT'}`; payload `{aud: 'plex.tv', iss: clientIdentifier, iat, exp}` plus
 * `nonce` and `scope` when given. {@link checkPin} and {@link refreshPlexJwt} sign their own; this is for
 * calls the core does not make. No request is made.
 *
 * @example
 * const jwt = await signDeviceJwt({ clientIdentifier: 'my-app-install-1', deviceKey })
 */
export async function signDeviceJwt(options: SignDeviceJwtOptions): Promise<string> {
  const { clientIdentifier, nonce, scope } = options
  if (typeof clientIdentifier !== 'string' || clientIdentifier.trim() === '') {
    throw invalidInput('clientIdentifier is required (the device JWT names it as iss)')
  }
  if (nonce !== undefined && (typeof nonce !== 'string' || nonce === '')) throw invalidInput('nonce is empty')
  if (scope !== undefined && (typeof scope !== 'string' || scope === '')) throw invalidInput('scope is empty')
  const deviceKey = readDeviceKey(options.deviceKey)
  const key = await importEd25519(deviceKey.privateJwk, 'sign')
  const iat = Math.floor(Date.now() / 1000)
  // jose's CompactSign over the claims as JSON: the bytes SignJWT would sign, without its claims builder
  // (about 0.8 KB gzipped of the worker's budget). The claims are all set here, `iat` and `exp` whole seconds.
  const claims = {
    aud: 'plex.tv',
    iss: clientIdentifier,
    iat,
    exp: iat + DEVICE_JWT_LIFETIME_SECONDS,
    ...(nonce === undefined ? {} : { nonce }),
    ...(scope === undefined ? {} : { scope }),
  }
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ kid: deviceKey.kid, alg: 'EdDSA', typ: 'JWT' })
    .sign(key)
}
