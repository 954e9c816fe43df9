import { describe, expect, it } from 'vitest'
import { type GetTransientTokenParams, isPlexError, isPlexJwt, type PlexClientOptions } from '../src/index.ts'
import { mergeOptions, resolveBaseUrl, resolveRetry } from '../src/options.ts'

describe('options', () => {
  it('resolveBaseUrl drops trailing slashes and refuses what could leak a token, naming the option', () => {
    expect(resolveBaseUrl('https://10-0-0-5.abc.plex.direct:32400//', 'serverUrl')).toBe(
      'https://10-0-0-5.abc.plex.direct:32400',
    )
    for (const value of [
      '',
      'not a url',
      'ftp://plex.tv',
      'https://plex.tv/?X-Plex-Token=S3cretT0ken',
      'https://plex.tv/#S3cretT0ken',
      'https://user:S3cretT0ken@plex.tv',
    ]) {
      let caught: unknown
      try {
        resolveBaseUrl(value, 'serverUrl')
      } catch (error) {
        caught = error
      }
      expect(isPlexError(caught, 'invalid_input'), value).toBe(true)
      expect(String((caught as Error).message)).toMatch(/^serverUrl /)
      expect(String((caught as Error).message)).not.toContain('S3cretT0ken')
    }
  })

  it('mergeOptions: the call wins, except with undefined; headers are merged, the call winning', () => {
    const client: PlexClientOptions = {
      clientIdentifier: 'id',
      token: 'client-token',
      headers: { 'X-A': 'client', 'X-B': 'client' },
    }
    const call: GetTransientTokenParams = {
      type: 'delegation',
      scope: 'all',
      token: undefined,
      serverUrl: 'https://s',
      headers: { 'X-B': 'call' },
    }
    const merged = mergeOptions(client, call)
    expect(merged).toMatchObject({ clientIdentifier: 'id', token: 'client-token', serverUrl: 'https://s' })
    expect(Object.fromEntries(new Headers(merged.headers))).toEqual({ 'x-a': 'client', 'x-b': 'call' })
    expect(client.headers).toEqual({ 'X-A': 'client', 'X-B': 'client' })
    expect(mergeOptions(client, undefined)).toEqual(client)
  })

  it('resolveRetry: defaults, false for none, and a bad number means its default', () => {
    expect(resolveRetry(undefined)).toMatchObject({
      retries: 2,
      minDelayMs: 200,
      maxDelayMs: 2000,
      maxRetryAfterMs: 5000,
    })
    expect(resolveRetry(false).retries).toBe(0)
    expect(resolveRetry({ retries: -1, minDelayMs: Number.NaN, maxDelayMs: 0 })).toMatchObject({
      retries: 2,
      minDelayMs: 200,
      maxDelayMs: 0,
    })
  })
})

describe('isPlexJwt', () => {
  it('tells a Plex JWT from an opaque token by its shape and header, verifying nothing', () => {
    const header = (value: string) =>
      btoa(value).replaceAll('=', '').replaceAll('+', '-').replaceAll('/', '_')
    expect(isPlexJwt(`${header('{"kid":"k","alg":"EdDSA"}')}.e30.c2ln`)).toBe(true)
    for (const opaque of [
      'ALiCeT0kenFaKe9x2Qm7',
      'transient-1b2c3d4e',
      'a.b.c',
      `${header('{"kid":"k"}')}.e30.c2ln`,
      `${header('[1]')}.e30.c2ln`,
      `${header('{"alg":"x"}')}.e30`,
      `${header('{"alg":"x"}')}.e3 0.c2ln`,
      '',
    ]) {
      expect([opaque, isPlexJwt(opaque)]).toEqual([opaque, false])
    }
  })
})
