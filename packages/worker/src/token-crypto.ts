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

const keyCache = new Map<string, Promise<CryptoKey | undefined>>()

/**
 * Imports TOKEN_ENCRYPTION_KEY (32 bytes, base64 or base64url) as an AES-GCM key; undefined when it
 * does not decode to 32 bytes. Memoised per isolate, since every request needs it.
 */
export function importEncryptionKey(base64: string): Promise<CryptoKey | undefined> {
  let cached = keyCache.get(base64)
  if (!cached) {
    const raw = fromBase64(base64)
    cached =
      raw?.length === 32
        ? crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
        : Promise.resolve(undefined)
    if (keyCache.size > 4) keyCache.clear()
    keyCache.set(base64, cached)
  }
  return cached
}

const VERSION = 'v1'

/**
 * Encrypts a token with AES-GCM under a random 96-bit IV. `boundTo` (the KV key the value is stored
 * under) is the additional data: a sealed value copied to another key no longer opens.
 * @example const sealed = await sealToken(key, plexToken, 'session:abc')
 */
export async function sealToken(key: CryptoKey, plaintext: string, boundTo: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(boundTo) },
    key,
    encoder.encode(plaintext),
  )
  return `${VERSION}.${toBase64url(iv)}.${toBase64url(new Uint8Array(ciphertext))}`
}

/** Decrypts what `sealToken` produced for the same `boundTo`; undefined when it does not open. */
export async function openToken(
  key: CryptoKey,
  sealed: string,
  boundTo: string,
): Promise<string | undefined> {
  const [version, ivText, dataText, extra] = sealed.split('.')
  if (version !== VERSION || !ivText || !dataText || extra !== undefined) return undefined
  const iv = fromBase64(ivText)
  const data = fromBase64(dataText)
  if (iv?.length !== 12 || !data) return undefined
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(boundTo) },
      key,
      data,
    )
    return decoder.decode(plaintext)
  } catch {
    return undefined
  }
}
