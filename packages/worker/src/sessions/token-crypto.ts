const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Encodes bytes as unpadded base64url. */
export function toBase64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/** Decodes base64 or base64url (padding optional); undefined when it is neither. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return undefined
  try {
    const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/').replace(/=+$/, ''))
    const out = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
    return out
  } catch {
    return undefined
  }
}

/**
 * A new random secret: 256 bits, base64url (43 characters). Used for session tokens and PIN poll tokens.
 * @example const sessionToken = randomToken()
 */
export function randomToken(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(32)))
}

/** SHA-256 of a UTF-8 string, base64url. What KV keys carry instead of a secret. */
export async function sha256(text: string): Promise<string> {
  return toBase64url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))))
}

const keyCache = new Map<string, Promise<SealingKey | undefined>>()

/** One AES-GCM key and its id: the first 8 bytes of sha256(key), base64url (names the key, reveals nothing). */
export interface SealingKey {
  id: string
  key: CryptoKey
}

/**
 * Imports a TOKEN_ENCRYPTION_KEY value (32 bytes, base64 or base64url) as an AES-GCM key with its id;
 * undefined when it does not decode to 32 bytes. Memoised per isolate, since every request needs it.
 */
export function importEncryptionKey(base64: string): Promise<SealingKey | undefined> {
  let cached = keyCache.get(base64)
  if (!cached) {
    const raw = fromBase64(base64)
    cached =
      raw?.length === 32
        ? (async () => {
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw))
            const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
            return { id: toBase64url(digest.subarray(0, 8)), key }
          })()
        : Promise.resolve(undefined)
    if (keyCache.size > 8) keyCache.clear()
    keyCache.set(base64, cached)
  }
  return cached
}

/**
 * The current key, which seals, and every key that may open: the current one and
 * TOKEN_ENCRYPTION_KEYS_PREVIOUS (read only, for rotation).
 */
export interface Keyring {
  current: SealingKey
  byId: ReadonlyMap<string, CryptoKey>
}

/** A keyring from the current key and the previous ones (already imported). */
export function keyring(current: SealingKey, previous: SealingKey[] = []): Keyring {
  const byId = new Map<string, CryptoKey>()
  for (const { id, key } of previous) byId.set(id, key)
  byId.set(current.id, current.key)
  return { current, byId }
}

const VERSION = 'v2'

/**
 * Encrypts a value with AES-GCM under the current key and a random 96-bit IV. `boundTo` (the KV key the
 * value is stored under) is the additional data: a sealed value copied to another key no longer opens.
 * Format: `v2.<key id>.<base64url IV>.<base64url ciphertext+tag>`; the key id lets a rotated key still open it.
 * @example const sealed = await seal(ring, JSON.stringify(record), 'session:abc')
 */
export async function seal(ring: Keyring, plaintext: string, boundTo: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(boundTo) },
    ring.current.key,
    encoder.encode(plaintext),
  )
  return `${VERSION}.${ring.current.id}.${toBase64url(iv)}.${toBase64url(new Uint8Array(ciphertext))}`
}

/** What `open` returns: the plaintext, and whether it was sealed with a previous key (re-seal it). */
export interface Opened {
  plaintext: string
  stale: boolean
}

/** Decrypts what `seal` produced for the same `boundTo` with any key of the ring; undefined when it does not open. */
export async function open(ring: Keyring, sealed: string, boundTo: string): Promise<Opened | undefined> {
  const [version, keyId, ivText, dataText, extra] = sealed.split('.')
  if (version !== VERSION || !keyId || !ivText || !dataText || extra !== undefined) return undefined
  const key = ring.byId.get(keyId)
  const iv = fromBase64(ivText)
  const data = fromBase64(dataText)
  if (!key || iv?.length !== 12 || !data) return undefined
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(boundTo) },
      key,
      data,
    )
    return { plaintext: decoder.decode(plaintext), stale: keyId !== ring.current.id }
  } catch {
    return undefined
  }
}
