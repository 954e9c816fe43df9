// The checks of issue 11, on each runtime the binary must run on: `npx` (Node), `deno run -A npm:` and
// `bunx`. Each test starts from an empty config directory against a freshly reset fake Plex.
import { statSync, writeFileSync } from 'node:fs'
import type { ServedFakePlex } from '@plex-auth/fake-plex/serve'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { bigCode } from '../src/big-code.ts'
import {
  ALICE,
  approvePrintedPin,
  BOB,
  pinRequests,
  type Runtime,
  run,
  Sandbox,
  seedProfile,
  startFake,
  Terminal,
} from './helpers.ts'

const runtimes: Runtime[] = ['node', 'deno', 'bun']

describe.each(runtimes)('plex-auth under %s', (runtime) => {
  let served: ServedFakePlex
  let box: Sandbox

  beforeAll(async () => {
    served = await startFake()
  })
  afterAll(async () => {
    await served.close()
  })
  beforeEach(() => {
    served.fake.reset()
    box = new Sandbox(served)
  })
  afterEach(() => {
    box.remove()
  })

  it('login: PIN approved by the user; the token lands in a 0600 file in a 0700 directory', async () => {
    let stderr = ''
    const login = run(runtime, ['login', '--no-browser'], box.env, { onStderr: (text) => (stderr = text) })
    const code = await approvePrintedPin(served, () => stderr, ALICE.login)
    const result = await login
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(`code=${code}`)
    expect(result.stderr).toContain('Signed in as alice (alice@example.com)')

    expect(statSync(box.credentialsPath).mode & 0o777).toBe(0o600)
    expect(statSync(box.credentialsDir).mode & 0o777).toBe(0o700)
    const profile = box.credentials().profiles.default
    expect(profile).toMatchObject({ tokenType: 'legacy', method: 'pin', account: { username: 'alice' } })
    expect(await box.tokenStatus(profile.token)).toBe(200)
    // The token belongs to this profile's device, as plex.tv lists it under "Authorized Devices".
    expect(served.fake.devices('alice')).toContainEqual(
      expect.objectContaining({ clientIdentifier: profile.clientIdentifier, product: 'plex-auth' }),
    )
    // No token on the terminal, ever.
    expect(result.stderr).not.toContain(profile.token)
  })

  it('login --code in a terminal: a short code drawn large with the plex.tv/link page, approved by that code', async () => {
    const browser = box.fakeBrowser()
    const terminal = new Terminal(runtime, ['login', '--code'], { ...box.env, BROWSER: browser.path })
    const [, code] = await terminal.waitFor(/Code: (\S+)/)
    // A non-strong PIN: 4 characters, typed at <plex.tv>/link (here the fake's origin), never the auth app.
    expect(code).toMatch(/^[A-Z0-9]{4}$/)
    expect(pinRequests(served)).toEqual([{ strong: false, withKey: false }])
    expect(terminal.text).toContain(`open ${served.plexTvUrl}/link and enter this code:`)
    expect(terminal.text).not.toContain('/auth#')
    // Drawn in block letters on lines of their own, each glyph 5 rows tall, before the plain line.
    const art = terminal.text.split(/\r?\n/).filter((line) => line.includes('█'))
    expect(art).toEqual(bigCode(code!)!.map((line) => `    ${line}`))
    expect(terminal.text.indexOf('█')).toBeLessThan(terminal.text.indexOf(`Code: ${code}`))
    await terminal.waitFor(/Waiting for approval \(the code expires in 1[45]:\d\d/)

    served.fake.approvePin(code!, ALICE.login)
    expect(await terminal.exited).toBe(0)
    expect(terminal.text).toContain('Signed in as alice (alice@example.com)')
    const profile = box.credentials().profiles.default
    expect(profile).toMatchObject({ tokenType: 'legacy', method: 'pin', account: { username: 'alice' } })
    expect(await box.tokenStatus(profile.token)).toBe(200)
    expect(terminal.raw).not.toContain(profile.token)
    expect(browser.opened()).toBeUndefined()
  })

  it('login --password: prompts in a terminal, asks for the 2FA code, never shows the password', async () => {
    const terminal = new Terminal(runtime, ['login', '--password'], box.env)
    await terminal.waitFor(/email or username/)
    terminal.type(`${BOB.login}\r`)
    await terminal.waitFor(/Password for bob/)
    terminal.type(`${BOB.password}\r`)
    await terminal.waitFor(/Two-factor code/)
    terminal.type(`${BOB.code}\r`)
    expect(await terminal.exited).toBe(0)
    expect(terminal.text).toContain('Signed in as bob (bob@example.com)')
    expect(terminal.raw).not.toContain(BOB.password)
    const profile = box.credentials().profiles.default
    expect(profile).toMatchObject({ method: 'password', account: { username: 'bob' } })
    expect(await box.tokenStatus(profile.token)).toBe(200)
    expect(terminal.raw).not.toContain(profile.token)
  })

  it('login --password with a wrong password: one readable line, exit 1, nothing stored', async () => {
    const terminal = new Terminal(runtime, ['login', '--password', '--login', 'alice'], box.env)
    await terminal.waitFor(/Password for alice/)
    terminal.type('not-the-password\r')
    expect(await terminal.exited).toBe(1)
    expect(terminal.text).toContain(
      'plex-auth: Plex did not accept the login, password or two-factor code (unauthorized)',
    )
    expect(terminal.text).not.toMatch(/\n\s+at /) // no stack trace without --debug
    expect(box.credentials().profiles.default.token).toBeUndefined()
  })

  it('token: only the token and a newline on stdout, in a pipe', async () => {
    const { token } = seedProfile(box, 'alice')
    const result = await run(runtime, ['token'], box.env)
    expect(result).toEqual({ code: 0, stdout: `${token}\n`, stderr: '' })
  })

  it('--json: machine output on stdout, no token unless the command is token', async () => {
    const { token } = seedProfile(box, 'alice')
    const whoami = await run(runtime, ['whoami', '--json'], box.env)
    expect(whoami.code).toBe(0)
    expect(JSON.parse(whoami.stdout)).toMatchObject({
      profile: 'default',
      tokenType: 'legacy',
      account: { username: 'alice', email: 'alice@example.com', subscription: { active: true } },
    })
    expect(whoami.stdout).not.toContain(token)
    const tokenJson = await run(runtime, ['token', '--json'], box.env)
    expect(JSON.parse(tokenJson.stdout)).toEqual({ token, tokenType: 'legacy', profile: 'default' })
  })

  it('logout: revokes the token at plex.tv and deletes it here', async () => {
    const { token, clientIdentifier } = seedProfile(box, 'alice')
    const result = await run(runtime, ['logout'], box.env)
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('Signed out and revoked the token of alice')
    // Plex answers 422 "Invalid token" for a revoked token.
    expect(await box.tokenStatus(token)).toBe(422)
    expect(box.credentials().profiles.default).toEqual({ clientIdentifier })
    expect(statSync(box.credentialsPath).mode & 0o777).toBe(0o600)
    expect((await run(runtime, ['token'], box.env)).code).toBe(3)
  })

  it('login --jwt: a device key and a Plex JWT; token refreshes it when less than a day is left', async () => {
    let stderr = ''
    const login = run(runtime, ['login', '--jwt'], box.env, { onStderr: (text) => (stderr = text) })
    await approvePrintedPin(served, () => stderr, ALICE.login)
    const result = await login
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('Plex JWT stored')
    const profile = box.credentials().profiles.default
    expect(profile).toMatchObject({ tokenType: 'jwt', method: 'pin', deviceKey: { kid: expect.any(String) } })
    expect(profile.token.split('.')).toHaveLength(3)
    const days = (Date.parse(profile.expiresAt) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(6.9)
    expect(served.fake.deviceKeys('alice').map((key) => key.thumbprint)).toContain(profile.deviceKey.kid)
    expect(await box.tokenStatus(profile.token)).toBe(200)

    // Nothing to do a week before expiry: the same token, and plex.tv is not asked.
    const requestsBefore = served.fake.requests.length
    expect((await run(runtime, ['token'], box.env)).stdout).toBe(`${profile.token}\n`)
    expect(served.fake.requests.length).toBe(requestsBefore)

    // An hour left: refreshed first, with the device key, and stored.
    const data = box.credentials()
    data.profiles.default.expiresAt = new Date(Date.now() + 3_600_000).toISOString()
    writeFileSync(box.credentialsPath, JSON.stringify(data), { mode: 0o600 })
    const refreshed = await run(runtime, ['token'], box.env)
    expect(refreshed.code).toBe(0)
    expect(refreshed.stderr).toBe('')
    const stored = box.credentials().profiles.default
    expect(refreshed.stdout).toBe(`${stored.token}\n`)
    expect(stored.token).not.toBe(profile.token)
    expect(Date.parse(stored.expiresAt) - Date.now()).toBeGreaterThan(6.9 * 86_400_000)
    expect(await box.tokenStatus(stored.token)).toBe(200)
  })

  it('not signed in: exit 3 and a readable line', async () => {
    const result = await run(runtime, ['token'], box.env)
    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr: 'plex-auth: Not signed in (profile "default"): run plex-auth login (not_signed_in)\n',
    })
  })
})
