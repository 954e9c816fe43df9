import { base64url } from 'jose'
import * as v from 'valibot'
import { invalidInput } from './options.ts'

/** The public half of a device key: an Ed25519 JWK (RFC 8037). */
export interface PlexPublicJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  /** The public key, base64url. */
  x: string
}

/** The whole device key as a JWK: the public fields plus `d`, the private key. Keep it secret. */
export interface PlexPrivateJwk extends PlexPublicJwk {
  /** The private key, base64url. */
  d: string
}

/**
 * A device's Ed25519 key pair for Plex JWT authentication. Plain JSON: store it (encrypted, like a
 * password) and pass it back as it is. The private key is the long-lived secret: there is no refresh token.
 */
export interface PlexDeviceKey {
  /** The key's id; {@link generateDeviceKey} makes it the RFC 7638 thumbprint of the public key. */
  kid: string
  publicJwk: PlexPublicJwk
  privateJwk: PlexPrivateJwk
}

/** The public JWK as Plex takes it: `{kty, crv, x, kid, alg}`, in that order. */
export interface PlexWireJwk extends PlexPublicJwk {
  kid: string
  alg: 'EdDSA'
}

/**
 * 32 bytes in canonical unpadded base64url: 43 characters, the last one's two unused bits zero. Checked
 * here, not left to WebCrypto: Node also takes standard base64, spaces and unused bits set, Bun unused
 * bits, Deno none of them, so a key would sign or verify in one runtime and not another.
 */
export const key32 = v.pipe(v.string(), v.regex(/^[\w-]{42}[AEIMQUYcgkosw048]$/))
const publicEntries = { kty: v.literal('OKP'), crv: v.literal('Ed25519'), x: key32 }

const deviceKeySchema = v.pipe(
  v.object({
    kid: v.pipe(v.string(), v.nonEmpty(), v.maxLength(256)),
    publicJwk: v.object(publicEntries),
    privateJwk: v.object({ ...publicEntries, d: key32 }),
  }),
  v.check((key) => key.publicJwk.x === key.privateJwk.x),
)

/**
 * `value` as a device key, only its known fields kept; `invalid_input` when it is not one (a key stored
 * by hand, a public key alone). Never quotes the value: it holds the private key.
 */
export function readDeviceKey(value: unknown): PlexDeviceKey {
  const result = v.safeParse(deviceKeySchema, value)
  if (!result.success) {
    throw invalidInput('deviceKey must be a PlexDeviceKey: { kid, publicJwk, privateJwk } of an Ed25519 key')
  }
  return result.output
}

/** The device key's public JWK as Plex's JWT endpoints take it. */
export function plexWireJwk(deviceKey: PlexDeviceKey): PlexWireJwk {
  const { kty, crv, x } = deviceKey.publicJwk
  return { kty, crv, x, kid: deviceKey.kid, alg: 'EdDSA' }
}

/**
 * A new Ed25519 device key, from WebCrypto (Node ≥ 20, Deno, Bun, workerd, current browsers). No request
 * is made. Generate one per device (per client identifier) and keep it with that device's other secrets.
 *
 * @example
 * const deviceKey = await generateDeviceKey()
 * await store.put('plex-device-key', JSON.stringify(deviceKey))
 */
export async function generateDeviceKey(): Promise<PlexDeviceKey> {
  const { publicKey, privateKey } = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const [publicJwk, privateJwk] = await Promise.all([
    crypto.subtle.exportKey('jwk', publicKey),
    crypto.subtle.exportKey('jwk', privateKey),
  ])
  const publicPart: PlexPublicJwk = { kty: 'OKP', crv: 'Ed25519', x: String(publicJwk.x) }
  return {
    kid: await ed25519Thumbprint(publicPart),
    publicJwk: publicPart,
    privateJwk: { ...publicPart, d: String(privateJwk.d) },
  }
}

/**
 * The RFC 7638 thumbprint of an Ed25519 public key: SHA-256 of its required members (crv, kty, x; RFC 8037
 * §2) as JSON in that lexicographic order without whitespace. Written out rather than jose's
 * calculateJwkThumbprint, which handles every key type for about 0.6 KB gzipped of the worker's budget: with
 * one key type, and `x` a base64url string WebCrypto just made, `JSON.stringify` of these three members is
 * the canonical form. The result is only a label (Plex echoes it as the `thumbprint` claim, any `kid` would
 * do); no signature check depends on it. Tests check it against jose and RFC 8037's example.
 */
export async function ed25519Thumbprint({ x }: PlexPublicJwk): Promise<string> {
  const canonical = JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })
  return base64url.encode(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))),
  )
}

/**
 * An Ed25519 JWK as a CryptoKey, by WebCrypto: the private key to sign with, or a public one to verify.
 * Only the key members are passed (`x`, and `d` for a private key): runtimes differ on `alg`, `use` and
 * `key_ops`, which jose's importJWK drops too, and WebCrypto itself refuses a key that is not Ed25519.
 */
export function importEd25519(jwk: { x?: unknown; d?: unknown }, use: 'sign' | 'verify'): Promise<CryptoKey> {
  const { x, d } = jwk
  const members = use === 'sign' ? { kty: 'OKP', crv: 'Ed25519', x, d } : { kty: 'OKP', crv: 'Ed25519', x }
  return crypto.subtle.importKey('jwk', members as JsonWebKey, { name: 'Ed25519' }, false, [use])
}
