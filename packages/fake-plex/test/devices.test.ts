import { describe, expect, it } from 'vitest'
import { ALICE_TOKEN, BOB_TOKEN, plexHeaders, setup } from './helpers.ts'

type Fake = ReturnType<typeof setup>['fake']

/** Headers of one device: its own client identifier, product and device name. */
function deviceHeaders(
  clientIdentifier: string,
  name = 'Chrome on Linux',
  extra: Record<string, string> = {},
) {
  return plexHeaders({
    'x-plex-client-identifier': clientIdentifier,
    'x-plex-product': 'Plex Auth',
    'x-plex-device-name': name,
    ...extra,
  })
}

async function signIn(fake: Fake, clientIdentifier: string, login = 'alice', name?: string) {
  const password = `${login}-password`
  const res = await fake.fetch('https://plex.tv/api/v2/users/signin', {
    method: 'POST',
    headers: deviceHeaders(clientIdentifier, name, { 'content-type': 'application/x-www-form-urlencoded' }),
    body: new URLSearchParams({ login, password }).toString(),
  })
  expect(res.status).toBe(201)
  return (await res.json()).authToken as string
}

async function createPin(fake: Fake, clientIdentifier: string, name?: string) {
  const res = await fake.fetch('https://plex.tv/api/v2/pins?strong=true', {
    method: 'POST',
    headers: deviceHeaders(clientIdentifier, name),
  })
  expect(res.status).toBe(201)
  return (await res.json()) as { id: number; code: string }
}

async function pinToken(fake: Fake, clientIdentifier: string, id: number) {
  const res = await fake.fetch(`https://plex.tv/api/v2/pins/${id}`, {
    headers: deviceHeaders(clientIdentifier),
  })
  return (await res.json()).authToken as string | null
}

async function userStatus(fake: Fake, token: string) {
  return (
    await fake.fetch('https://plex.tv/api/v2/user', { headers: plexHeaders({ 'x-plex-token': token }) })
  ).status
}

describe('devices of sign-in tokens', () => {
  it('records the X-Plex-* headers of the sign-in request as the token’s device', async () => {
    const { fake, clock } = setup()
    expect(fake.devices('alice')).toEqual([])
    await signIn(fake, 'browser-session-1', 'alice', 'Firefox on Windows')
    expect(fake.devices('alice')).toEqual([
      {
        clientIdentifier: 'browser-session-1',
        product: 'Plex Auth',
        name: 'Firefox on Windows',
        createdAt: new Date(clock.now).toISOString().replace('.000Z', 'Z'),
      },
    ])
    expect(fake.devices('alice@example.com')).toHaveLength(1)
    expect(fake.devices('carol')).toEqual([])
  })

  it('reads X-Plex-Device-Name as UTF-8 bytes, like Plex', async () => {
    const { fake } = setup()
    const name = 'Zoë’s Mac'
    const asBytes = String.fromCharCode(...new TextEncoder().encode(name))
    await signIn(fake, 'utf8-device', 'alice', asBytes)
    // Latin-1 that is not valid UTF-8 stays as sent.
    await signIn(fake, 'latin1-device', 'alice', 'Caf\u00e9')
    expect(fake.devices('alice').map((d) => d.name)).toEqual([name, 'Café'])
  })

  it('rotates per (account, client identifier): a new sign-in retires that device’s earlier token only', async () => {
    const { fake } = setup()
    const first = await signIn(fake, 'device-a')
    const other = await signIn(fake, 'device-b')
    const carols = await signIn(fake, 'device-a', 'carol')
    expect(await userStatus(fake, first)).toBe(200)

    const second = await signIn(fake, 'device-a')
    expect(await userStatus(fake, first)).toBe(422)
    expect(await userStatus(fake, second)).toBe(200)
    // Another device of the same account, and another account on the same identifier, live on.
    expect(await userStatus(fake, other)).toBe(200)
    expect(await userStatus(fake, carols)).toBe(200)
    expect(await userStatus(fake, ALICE_TOKEN)).toBe(200)
    expect(fake.devices('alice').map((d) => d.clientIdentifier)).toEqual(['device-b', 'device-a'])
    expect(fake.devices('carol').map((d) => d.clientIdentifier)).toEqual(['device-a'])
  })

  it('sign-out revokes the token, so its device leaves the list and /user answers 422', async () => {
    const { fake } = setup()
    const kept = await signIn(fake, 'device-a')
    const token = await signIn(fake, 'device-b')
    const out = await fake.fetch('https://plex.tv/api/v2/users/signout', {
      method: 'DELETE',
      headers: deviceHeaders('device-b', 'x', { 'x-plex-token': token }),
    })
    expect(out.status).toBe(204)
    expect(await userStatus(fake, token)).toBe(422)
    expect(fake.devices('alice').map((d) => d.clientIdentifier)).toEqual(['device-a'])
    expect(await userStatus(fake, kept)).toBe(200)
  })

  it('seeded tokens and issueToken without a device are in no list and never rotated', async () => {
    const { fake } = setup()
    const plain = fake.issueToken('alice')
    await signIn(fake, 'device-a')
    await signIn(fake, 'device-a')
    expect(await userStatus(fake, ALICE_TOKEN)).toBe(200)
    expect(await userStatus(fake, plain)).toBe(200)
    expect(fake.devices('alice')).toHaveLength(1)

    const cli = fake.issueToken('alice', { clientIdentifier: 'cli-profile', product: 'plex-auth CLI' })
    expect(fake.devices('alice').at(-1)).toMatchObject({
      clientIdentifier: 'cli-profile',
      product: 'plex-auth CLI',
      name: '',
    })
    fake.issueToken('alice', { clientIdentifier: 'cli-profile' })
    expect(await userStatus(fake, cli)).toBe(422)
    fake.reset()
    expect(fake.devices('alice')).toEqual([])
    expect(() => fake.devices('nobody')).toThrow(/no account/)
  })
})

describe('devices of PIN tokens', () => {
  it('issues the approved token to the device that created the PIN, with the name sent then', async () => {
    const { fake } = setup()
    const pin = await createPin(fake, 'pin-device-1', 'Safari on iPhone')
    // The approval comes from app.plex.tv, whose headers say nothing about the device.
    const approved = await fake.fetch('https://plex.tv/__fake/pins/approve', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: pin.code, login: 'alice', password: 'alice-password' }),
    })
    expect(approved.status).toBe(200)
    const token = await pinToken(fake, 'pin-device-1', pin.id)
    expect(token).toMatch(/^[A-Za-z0-9_-]{20}$/)
    expect(fake.devices('alice')).toEqual([
      expect.objectContaining({
        clientIdentifier: 'pin-device-1',
        product: 'Plex Auth',
        name: 'Safari on iPhone',
      }),
    ])
  })

  it('retires the earlier token when a new PIN completes for the same account and identifier', async () => {
    const { fake } = setup()
    const firstPin = await createPin(fake, 'shared-id')
    const first = fake.approvePin(firstPin.code, 'bob')
    const otherPin = await createPin(fake, 'other-id')
    const other = fake.approvePin(otherPin.id, 'bob')
    const secondPin = await createPin(fake, 'shared-id')
    const second = fake.approvePin(secondPin.id, 'bob')

    expect(await userStatus(fake, first)).toBe(422)
    expect(await userStatus(fake, second)).toBe(200)
    expect(await userStatus(fake, other)).toBe(200)
    expect(await userStatus(fake, BOB_TOKEN)).toBe(200)
    // The PIN still shows the token it was given; the token is just no longer valid.
    expect(await pinToken(fake, 'shared-id', firstPin.id)).toBe(first)
    expect(fake.devices('bob').map((d) => d.clientIdentifier)).toEqual(['other-id', 'shared-id'])
  })

  it('rotates across flows: a password sign-in retires the PIN token of the same device', async () => {
    const { fake } = setup()
    const pin = await createPin(fake, 'device-a')
    const fromPin = fake.approvePin(pin.id, 'alice')
    const fromPassword = await signIn(fake, 'device-a')
    expect(await userStatus(fake, fromPin)).toBe(422)
    expect(await userStatus(fake, fromPassword)).toBe(200)
    expect(fake.devices('alice')).toHaveLength(1)
  })
})
