import { describe, expect, it } from 'vitest'
import {
  fromBase64,
  importEncryptionKey,
  openToken,
  randomToken,
  sealToken,
  sha256,
  toBase64url,
} from '../src/token-crypto.ts'

const KEY = 'dGVzdC1rZXktMzItYnl0ZXMtZm9yLXBsZXgtYXV0aCE='

describe('token-crypto', () => {
  it('seals and opens a token bound to its KV key', async () => {
    const key = (await importEncryptionKey(KEY))!
    const sealed = await sealToken(key, 'plex-token-123', 'session:abc')
    expect(sealed).not.toContain('plex-token-123')
    expect(await openToken(key, sealed, 'session:abc')).toBe('plex-token-123')
    expect(await openToken(key, sealed, 'session:abd')).toBeUndefined()
  })

  it('uses a fresh IV every time', async () => {
    const key = (await importEncryptionKey(KEY))!
    const a = await sealToken(key, 'same', 'k')
    const b = await sealToken(key, 'same', 'k')
    expect(a).not.toBe(b)
    expect(a.split('.')[1]).not.toBe(b.split('.')[1])
    expect(fromBase64(a.split('.')[1]!)!.length).toBe(12)
  })

  it('refuses tampered values and another key', async () => {
    const key = (await importEncryptionKey(KEY))!
    const other = (await importEncryptionKey(toBase64url(new Uint8Array(32).fill(7))))!
    const sealed = await sealToken(key, 'secret', 'k')
    const [v, iv, data] = sealed.split('.')
    const flipped = `${v}.${iv}.${data!.slice(0, -2)}${data!.endsWith('AA') ? 'BB' : 'AA'}`
    expect(await openToken(key, flipped, 'k')).toBeUndefined()
    expect(await openToken(other, sealed, 'k')).toBeUndefined()
    for (const bad of ['', 'v1', 'v1..', 'v2.a.b', `${sealed}.x`, 'v1.!!!.???']) {
      expect(await openToken(key, bad, 'k')).toBeUndefined()
    }
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
