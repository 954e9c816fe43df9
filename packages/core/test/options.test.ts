import { describe, expect, it } from 'vitest'
import { type GetTransientTokenParams, isPlexError, type PlexClientOptions } from '../src/index.ts'
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
