import { describe, expect, it } from 'vitest'
import {
  fromBase64,
  importEncryptionKey,
  keyring,
  open,
  randomToken,
  seal,
  sha256,
  toBase64url,
} from '../src/sessions/token-crypto.ts'

const KEY = 'dGVzdC1rZXktMzItYnl0ZXMtZm9yLXBsZXgtYXV0aCE='
const OTHER = toBase64url(new Uint8Array(32).fill(7))

const ringOf = async (current: string, ...previous: string[]) =>
  keyring(
    (await importEncryptionKey(current))!,
    await Promise.all(previous.map(async (k) => (await importEncryptionKey(k))!)),
  )

describe('token-crypto', () => {
  it('seals and opens a value bound to its KV key', async () => {
    const ring = await ringOf(KEY)
    const sealed = await seal(ring, 'plex-token-123', 'session:abc')
    expect(sealed).not.toContain('plex-token-123')
    expect(await open(ring, sealed, 'session:abc')).toEqual({ plaintext: 'plex-token-123', stale: false })
    expect(await open(ring, sealed, 'session:abd')).toBeUndefined()
  })

  it('names its key and uses a fresh IV every time', async () => {
    const ring = await ringOf(KEY)
    const a = await seal(ring, 'same', 'k')
    const b = await seal(ring, 'same', 'k')
    expect(a).not.toBe(b)
    const [version, keyId, iv] = a.split('.')
    expect(version).toBe('v2')
    expect(keyId).toBe(ring.current.id)
    expect(keyId).toMatch(/^[A-Za-z0-9_-]{11}$/)
    expect(iv).not.toBe(b.split('.')[2])
    expect(fromBase64(iv!)!.length).toBe(12)
  })

  it('refuses tampered values, another key, and a key id that is not in the ring', async () => {
    const ring = await ringOf(KEY)
    const other = await ringOf(OTHER)
    const sealed = await seal(ring, 'secret', 'k')
    const [v, id, iv, data] = sealed.split('.')
    const flipped = `${v}.${id}.${iv}.${data!.slice(0, -2)}${data!.endsWith('AA') ? 'BB' : 'AA'}`
    expect(await open(ring, flipped, 'k')).toBeUndefined()
    expect(await open(other, sealed, 'k')).toBeUndefined()
    // The right key under a wrong id does not open either: the id only selects, the tag decides.
    expect(await open(ring, `${v}.${other.current.id}.${iv}.${data}`, 'k')).toBeUndefined()
    for (const bad of ['', 'v2', 'v2...', 'v1.a.b', `${sealed}.x`, `v2.${id}.!!!.???`]) {
      expect(await open(ring, bad, 'k')).toBeUndefined()
    }
  })

  it('rotation: a value sealed with a previous key opens, marked stale; new seals use the current key', async () => {
    const before = await ringOf(OTHER)
    const sealed = await seal(before, 'secret', 'k')
    const after = await ringOf(KEY, OTHER)
    expect(await open(after, sealed, 'k')).toEqual({ plaintext: 'secret', stale: true })
    const resealed = await seal(after, 'secret', 'k')
    expect(resealed.split('.')[1]).toBe(after.current.id)
    // Once the previous key is dropped, what it sealed no longer opens.
    expect(await open(await ringOf(KEY), sealed, 'k')).toBeUndefined()
  })

  it('imports only 32-byte keys', async () => {
    expect(await importEncryptionKey(toBase64url(new Uint8Array(16)))).toBeUndefined()
    expect(await importEncryptionKey('not base64 at all!')).toBeUndefined()
  })

  it('random tokens are 256 bits of base64url and never repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, randomToken))
    expect(tokens.size).toBe(1000)
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(fromBase64(token)!.length).toBe(32)
    }
  })

  it('sha256 is the standard digest, base64url', async () => {
    expect(await sha256('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
  })
})
