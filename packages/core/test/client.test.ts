import { describe, expect, it } from 'vitest'
import { createPlexClient } from '../src/index.ts'
import { plexErrorOf, setup } from './helpers.ts'

describe('createPlexClient', () => {
  it('checks and fetches nothing until a call', () => {
    let calls = 0
    const plex = createPlexClient({
      clientIdentifier: '',
      fetch: async () => {
        calls++
        return new Response()
      },
    })
    expect(calls).toBe(0)
    expect(plex.options.clientIdentifier).toBe('')
  })

  it('merges client and call headers, the call winning', async () => {
    const { fake, options, alice } = setup()
    const plex = createPlexClient({ ...options, headers: { 'X-Plex-Language': 'en', 'X-Trace': 'client' } })
    await plex.getTokenDetails({ token: alice.token, headers: { 'X-Trace': 'call' } })
    expect(fake.requests[0]?.headers).toMatchObject({ 'x-plex-language': 'en', 'x-trace': 'call' })
  })

  it('binds clientIdentifier and product into buildAuthUrl', () => {
    const plex = createPlexClient({ clientIdentifier: 'id', product: 'P' })
    expect(plex.buildAuthUrl({ code: 'c' })).toBe(
      'https://app.plex.tv/auth#?clientID=id&code=c&context%5Bdevice%5D%5Bproduct%5D=P',
    )
  })

  it('a client without a usable clientIdentifier fails every call with invalid_input', async () => {
    const { fake, alice } = setup()
    const plex = createPlexClient({ clientIdentifier: ' ', fetch: fake.fetch, token: alice.token })
    await plexErrorOf(plex.getTokenDetails(), 'invalid_input')
    await plexErrorOf(plex.createPin(), 'invalid_input')
    expect(fake.requests).toHaveLength(0)
  })
})
