import { describe, expect, it } from 'vitest'
import { buildAuthUrl, createPlexClient } from '../src/index.ts'
import { plexErrorOf } from './helpers.ts'

describe('buildAuthUrl', () => {
  it('README example: the app.plex.tv page, parameters in a #? fragment, no request', () => {
    const plex = createPlexClient({ clientIdentifier: 'my-app-install-1', product: 'My App' })
    expect(plex.buildAuthUrl({ code: 'abc123', forwardUrl: 'https://myapp.example/done?x=1' })).toBe(
      'https://app.plex.tv/auth#?clientID=my-app-install-1&code=abc123' +
        '&context%5Bdevice%5D%5Bproduct%5D=My%20App&forwardUrl=https%3A%2F%2Fmyapp.example%2Fdone%3Fx%3D1',
    )
  })

  it('omits what is not given and accepts another appUrl', () => {
    expect(buildAuthUrl({ clientIdentifier: 'id&x', code: 'c', appUrl: 'http://127.0.0.1:8787/auth/' })).toBe(
      'http://127.0.0.1:8787/auth#?clientID=id%26x&code=c',
    )
  })

  it('invalid_input for a missing client identifier or code, or a bad URL', async () => {
    const sync = (options: Parameters<typeof buildAuthUrl>[0]) => async () => buildAuthUrl(options)
    await plexErrorOf(sync({ clientIdentifier: '', code: 'c' })(), 'invalid_input')
    await plexErrorOf(sync({ clientIdentifier: 'id', code: '' })(), 'invalid_input')
    await plexErrorOf(
      sync({ clientIdentifier: 'id', code: 'c', forwardUrl: 'javascript:alert(1)' })(),
      'invalid_input',
    )
    await plexErrorOf(sync({ clientIdentifier: 'id', code: 'c', forwardUrl: '/relative' })(), 'invalid_input')
    await plexErrorOf(sync({ clientIdentifier: 'id', code: 'c', appUrl: 'nope' })(), 'invalid_input')
  })
})
