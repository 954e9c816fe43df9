import { describe, expect, it } from 'vitest'
import { createFakePlex, defaultSeed } from '../src/index.ts'
import { ALICE_TOKEN, BOB_TOKEN, CLIENT_ID, plexHeaders, setup } from './helpers.ts'

async function createPin(fake: ReturnType<typeof setup>['fake']) {
  const res = await fake.fetch('https://plex.tv/api/v2/pins?strong=true', {
    method: 'POST',
    headers: plexHeaders(),
  })
  return (await res.json()) as { id: number; code: string }
}

function approve(fake: ReturnType<typeof setup>['fake'], body: Record<string, string>, json = true) {
  return fake.fetch('https://plex.tv/__fake/pins/approve', {
    method: 'POST',
    headers: { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: json ? JSON.stringify(body) : new URLSearchParams(body).toString(),
  })
}

async function pinToken(fake: ReturnType<typeof setup>['fake'], id: number) {
  const res = await fake.fetch(`https://plex.tv/api/v2/pins/${id}`, { headers: plexHeaders() })
  return (await res.json()).authToken as string | null
}

describe('seed', () => {
  it('has 20-character deterministic tokens and documented accounts', () => {
    const { fake } = setup()
    expect(fake.accounts.map((a) => a.login)).toEqual(['alice', 'bob', 'carol'])
    for (const account of fake.accounts) expect(account.token).toMatch(/^[A-Za-z0-9_-]{20}$/)
    for (const share of defaultSeed.servers.flatMap((s) => s.shares ?? [])) {
      expect(share.accessToken).toMatch(/^[A-Za-z0-9_-]{20}$/)
    }
    expect(fake.accounts.find((a) => a.login === 'bob')?.verificationCode).toBe('123456')
    expect(fake.servers.every((s) => s.ownerLogin === 'alice')).toBe(true)
  })
})

describe('POST /__fake/pins/approve', () => {
  it('approves a PIN by code with JSON or form, checking password and 2FA like sign-in', async () => {
    const { fake } = setup()
    const pin = await createPin(fake)
    const needsCode = await approve(fake, { code: pin.code, login: 'bob', password: 'bob-password' })
    expect(needsCode.status).toBe(401)
    expect((await needsCode.json()).errors[0].code).toBe(1029)
    const wrongPassword = await approve(fake, { code: pin.code, login: 'bob', password: 'nope' }, false)
    expect((await wrongPassword.json()).errors[0].code).toBe(1001)
    expect(await pinToken(fake, pin.id)).toBeNull()

    const ok = await approve(
      fake,
      {
        code: pin.code,
        clientID: CLIENT_ID,
        login: 'bob',
        password: 'bob-password',
        verificationCode: '123456',
      },
      false,
    )
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ approved: true, id: pin.id, login: 'bob', product: 'Tests' })
    const token = await pinToken(fake, pin.id)
    expect(token).toMatch(/^[A-Za-z0-9_-]{20}$/)
    expect(token).not.toBe(BOB_TOKEN)
  })

  it('answers 404 code 1020 for an unknown code or a clientID that does not match the PIN', async () => {
    const { fake } = setup()
    const pin = await createPin(fake)
    const unknown = await approve(fake, { code: 'nope', login: 'alice', password: 'alice-password' })
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).errors[0].code).toBe(1020)
    const mismatch = await approve(fake, {
      code: pin.code,
      clientID: 'other',
      login: 'alice',
      password: 'alice-password',
    })
    expect(mismatch.status).toBe(404)
    expect((await approve(fake, { login: 'alice' })).status).toBe(400)
  })
})

describe('GET /__fake/devices', () => {
  it('lists the live device tokens of an account as {devices:[{clientIdentifier, product, name, createdAt}]}', async () => {
    const { fake, clock } = setup()
    const pin = await fake.fetch('https://plex.tv/api/v2/pins?strong=true', {
      method: 'POST',
      headers: plexHeaders({ 'x-plex-device-name': 'Chrome on macOS' }),
    })
    const { code } = (await pin.json()) as { code: string }
    expect((await approve(fake, { code, login: 'alice', password: 'alice-password' })).status).toBe(200)
    const gone = fake.issueToken('alice', { clientIdentifier: 'cli', product: 'CLI', name: 'laptop' })
    fake.revokeToken(gone)

    const res = await fake.fetch('https://plex.tv/__fake/devices?login=alice')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({
      devices: [
        {
          clientIdentifier: CLIENT_ID,
          product: 'Tests',
          name: 'Chrome on macOS',
          createdAt: new Date(clock.now).toISOString().replace('.000Z', 'Z'),
        },
      ],
    })
    expect(await (await fake.fetch('https://plex.tv/__fake/devices?login=bob')).json()).toEqual({
      devices: [],
    })
  })

  it('answers 400 without login and 404 for an unknown account', async () => {
    const { fake } = setup()
    expect((await fake.fetch('https://plex.tv/__fake/devices')).status).toBe(400)
    expect((await fake.fetch('https://plex.tv/__fake/devices?login=nobody')).status).toBe(404)
  })
})

describe('other control routes', () => {
  it('restarts a server, killing its transient tokens', async () => {
    const { fake, main } = setup()
    const res = await fake.fetch(`${main.url}/security/token?type=delegation&scope=all`, {
      headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
    })
    const transient = (await res.json()).MediaContainer.token
    expect(
      (await fake.fetch(`https://plex.tv/__fake/servers/${main.id}/restart`, { method: 'POST' })).status,
    ).toBe(204)
    const after = await fake.fetch(`${main.url}/security/resources?source=server%3A%2F%2F${main.id}`, {
      headers: plexHeaders({ 'x-plex-token': transient }),
    })
    expect(after.status).toBe(401)
    expect((await fake.fetch('https://plex.tv/__fake/servers/nope/restart', { method: 'POST' })).status).toBe(
      404,
    )
  })

  it('revokes tokens, injects faults, resets to the seed and lists requests', async () => {
    const { fake } = setup()
    const token = fake.issueToken('carol')
    const revoke = await fake.fetch('https://plex.tv/__fake/tokens/revoke', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    })
    expect(revoke.status).toBe(204)
    const user = () =>
      fake.fetch('https://plex.tv/api/v2/user', { headers: plexHeaders({ 'x-plex-token': token }) })
    expect((await user()).status).toBe(422)

    const badFault = await fake.fetch('https://plex.tv/__fake/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'explode' }),
    })
    expect(badFault.status).toBe(400)
    const fault = await fake.fetch('https://plex.tv/__fake/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'status', status: 418, path: '/api/v2/ping', times: 1 }),
    })
    expect(fault.status).toBe(204)
    expect((await fake.fetch('https://plex.tv/api/v2/ping', { headers: plexHeaders() })).status).toBe(418)

    const listed = await (await fake.fetch('https://plex.tv/__fake/requests')).json()
    expect(listed.some((r: { url: string }) => r.url === 'https://plex.tv/api/v2/ping')).toBe(true)

    expect((await fake.fetch('https://plex.tv/__fake/reset', { method: 'POST' })).status).toBe(204)
    // Tokens issued after the seed are gone; the seed's are valid again.
    expect((await user()).status).toBe(401)
    expect(fake.requests).toHaveLength(1)
  })

  it('records method, url, lower-case headers and body of every request', async () => {
    const { fake } = setup()
    await fake.fetch('https://plex.tv/api/v2/users/signin', {
      method: 'POST',
      headers: { 'X-Plex-Client-Identifier': 'abc', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'login=alice&password=alice-password',
    })
    expect(fake.requests).toEqual([
      {
        method: 'POST',
        url: 'https://plex.tv/api/v2/users/signin',
        headers: { 'x-plex-client-identifier': 'abc', 'content-type': 'application/x-www-form-urlencoded' },
        body: 'login=alice&password=alice-password',
      },
    ])
    fake.reset()
    expect(fake.requests).toEqual([])
  })
})

describe('GET /link', () => {
  it('serves plex.tv/link: the approval page with a labelled field for the short code a device shows', async () => {
    const { fake } = setup()
    const res = await fake.fetch('https://plex.tv/link')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<label for="code">')
    expect(html).toContain("location.pathname === '/link'")
    // What the page posts: a short code without a clientID is approved as the device's PIN.
    const pin = await (
      await fake.fetch('https://plex.tv/api/v2/pins', { method: 'POST', headers: plexHeaders() })
    ).json()
    const approved = await fake.fetch('https://plex.tv/__fake/pins/approve', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        code: pin.code.toLowerCase(),
        clientID: '',
        login: 'alice',
        password: 'alice-password',
      }),
    })
    expect(approved.status).toBe(200)
  })
})

describe('GET /auth', () => {
  it('serves the approval page reading #?clientID=&code= from location.hash, with labelled fields', async () => {
    const { fake } = setup()
    for (const origin of ['https://plex.tv', 'https://app.plex.tv']) {
      const res = await fake.fetch(`${origin}/auth`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      const html = await res.text()
      expect(html).toContain('location.hash')
      expect(html).toContain("params.get('clientID')")
      expect(html).toContain("fetch('/__fake/pins/approve'")
      for (const id of ['login', 'password', 'verificationCode']) {
        expect(html).toContain(`<label for="${id}">`)
        expect(html).toContain(`id="${id}"`)
      }
      expect(html).toContain('role="alert"')
    }
    await expect(fake.fetch('https://app.plex.tv/api/v2/user')).rejects.toThrow('fetch failed')
  })

  it("names the fake's accounts, their passwords and 2FA codes, escaped", async () => {
    const { fake } = setup()
    const html = await (await fake.fetch('https://plex.tv/auth')).text()
    for (const account of fake.accounts) {
      expect(html).toContain(`<strong>${account.login}</strong> / <code>${account.password}</code>`)
    }
    expect(html).toContain('two-factor code <code>123456</code>')
    const hostile = createFakePlex({
      seed: {
        ...defaultSeed,
        accounts: [{ ...defaultSeed.accounts[0]!, login: '<img src=x onerror=alert(1)>' }],
      },
    })
    const page = await (await hostile.fetch('https://plex.tv/auth')).text()
    expect(page).not.toContain('<img src=x')
    expect(page).toContain('&#60;img src=x onerror=alert(1)&#62;')
  })
})

describe('withdrawShare', () => {
  it('takes the server out of the friend’s resources, the server refuses the share token, reset brings it back', async () => {
    const { createFakePlex } = await import('../src/index.ts')
    const fake = createFakePlex()
    const [main] = fake.servers
    const listed = async () =>
      (
        (await (
          await fake.fetch('https://plex.tv/api/v2/resources', {
            headers: {
              accept: 'application/json',
              'x-plex-client-identifier': 'c',
              'x-plex-token': 'B0bT0kenFaKe4Yz8Wq1P',
            },
          })
        ).json()) as { provides: string }[]
      ).filter((d) => d.provides === 'server').length
    const delegate = async () =>
      (
        await fake.fetch(`${main!.url}/security/token?type=delegation&scope=all`, {
          headers: { 'x-plex-token': 'BobShareAcc3ssT0k5nX' },
        })
      ).status
    expect([await listed(), await delegate()]).toEqual([1, 200])
    expect(fake.withdrawShare(main!.id, 'bob')).toBe(true)
    expect(fake.withdrawShare(main!.id, 'bob')).toBe(false)
    expect([await listed(), await delegate()]).toEqual([0, 401])
    // Other fakes (the default seed is shared) still have the share.
    expect(
      (
        await createFakePlex().fetch(`${main!.url}/security/token?type=delegation&scope=all`, {
          headers: { 'x-plex-token': 'BobShareAcc3ssT0k5nX' },
        })
      ).status,
    ).toBe(200)
    fake.reset()
    expect(await listed()).toBe(1)
  })
})
