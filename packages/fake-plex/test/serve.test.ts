import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeSeed, type ServedFakePlex, serveFakePlex } from '../src/serve.ts'
import { ALICE_TOKEN, CLIENT_ID, plexHeaders } from './helpers.ts'

describe('serveFakePlex over loopback HTTP', () => {
  let served: ServedFakePlex

  beforeAll(async () => {
    served = await serveFakePlex({ port: 0 })
  })
  afterAll(async () => {
    await served?.close()
  })

  it('serves plex.tv and each server on its own loopback port', async () => {
    expect(served.plexTvUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(served.appUrl).toBe(`${served.plexTvUrl}/auth`)
    expect(served.servers).toHaveLength(2)
    const ports = new Set([served.plexTvUrl, ...served.servers.map((s) => s.url)].map((u) => new URL(u).port))
    expect(ports.size).toBe(3)

    const user = await fetch(`${served.plexTvUrl}/api/v2/user`, {
      headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
    })
    expect(user.status).toBe(200)
    expect((await user.json()).username).toBe('alice')
  })

  it('lists the loopback URLs in resources, and the PMS there answers', async () => {
    const devices = await (
      await fetch(`${served.plexTvUrl}/api/v2/resources?includeHttps=1&includeRelay=1`, {
        headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
      })
    ).json()
    const main = served.servers[0]!
    expect(devices[0].connections).toEqual([
      {
        protocol: 'http',
        address: '127.0.0.1',
        port: Number(new URL(main.url).port),
        uri: main.url,
        local: true,
        relay: false,
        IPv6: false,
      },
    ])
    const res = await fetch(`${devices[0].connections[0].uri}/security/token?type=delegation&scope=all`, {
      method: 'POST',
      headers: plexHeaders({ 'x-plex-token': devices[0].accessToken }),
    })
    expect(res.status).toBe(200)
    expect((await res.json()).MediaContainer.token).toMatch(/^transient-/)
    const html = await fetch(`${main.url}/security/token`, { headers: { 'x-plex-token': ALICE_TOKEN } })
    expect(html.status).toBe(400)
    expect(html.headers.get('content-type')).toBe('text/html')
  })

  it('runs the PIN flow over HTTP: create, approve through the page endpoint, poll', async () => {
    const pin = await (
      await fetch(`${served.plexTvUrl}/api/v2/pins?strong=true`, { method: 'POST', headers: plexHeaders() })
    ).json()
    expect((await fetch(served.appUrl)).status).toBe(200)
    const approved = await fetch(`${served.plexTvUrl}/__fake/pins/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        code: pin.code,
        clientID: CLIENT_ID,
        login: 'alice',
        password: 'alice-password',
      }),
    })
    expect(approved.status).toBe(200)
    const polled = await (
      await fetch(`${served.plexTvUrl}/api/v2/pins/${pin.id}`, { headers: plexHeaders() })
    ).json()
    expect(polled.authToken).toMatch(/^[A-Za-z0-9_-]{20}$/)
  })

  it('points avatars at itself, and serves them: nothing a client shows leaves the machine', async () => {
    for (const accept of ['application/json', 'application/xml']) {
      const res = await fetch(`${served.plexTvUrl}/api/v2/user`, {
        headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN, accept }),
      })
      const body = await res.text()
      expect(body).not.toContain('https://plex.tv')
      expect(body).toContain(`${served.plexTvUrl}/users/`)
    }
    const user = (await (
      await fetch(`${served.plexTvUrl}/api/v2/user`, {
        headers: plexHeaders({ 'x-plex-token': ALICE_TOKEN }),
      })
    ).json()) as { thumb: string }
    const avatar = await fetch(user.thumb)
    expect(avatar.status).toBe(200)
    expect(avatar.headers.get('content-type')).toBe('image/svg+xml')
    expect(await avatar.text()).toMatch(/^<svg /)
  })

  it("drops the connection for a 'network' fault injected over HTTP", async () => {
    const inject = await fetch(`${served.plexTvUrl}/__fake/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'network', path: '/api/v2/ping', times: 1 }),
    })
    expect(inject.status).toBe(204)
    await expect(fetch(`${served.plexTvUrl}/api/v2/ping`, { headers: plexHeaders() })).rejects.toThrow(
      TypeError,
    )
    expect((await fetch(`${served.plexTvUrl}/__fake/reset`, { method: 'POST' })).status).toBe(204)
  })
})

describe('serveFakePlex options', () => {
  it('treats a NaN port as any free port and describes the seed for the demo', async () => {
    const served = await serveFakePlex({ port: Number(undefined) })
    try {
      expect(served.plexTvUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const text = describeSeed(served)
      expect(text).toContain(served.plexTvUrl)
      expect(text).toContain(served.appUrl)
      for (const server of served.servers) expect(text).toContain(server.url)
      expect(text).toContain('bob (bob@example.com) / bob-password / 2FA 123456')
      expect(text).toContain('Home user Kids (uuid k1d5000000000k1d) / PIN 1234')
    } finally {
      await served.close()
    }
  })
})

describe('serveFakePlex({ stateFile })', () => {
  // Each sign-in from its own device: a second one from the same device would retire the first token.
  async function signIn(served: ServedFakePlex, device: string): Promise<string> {
    const res = await fetch(`${served.plexTvUrl}/api/v2/users/signin`, {
      method: 'POST',
      headers: plexHeaders({
        'content-type': 'application/x-www-form-urlencoded',
        'x-plex-client-identifier': device,
      }),
      body: new URLSearchParams({ login: 'alice', password: 'alice-password' }),
    })
    return ((await res.json()) as { authToken: string }).authToken
  }
  const userStatus = async (served: ServedFakePlex, token: string): Promise<number> => {
    const res = await fetch(`${served.plexTvUrl}/api/v2/user`, {
      headers: plexHeaders({ 'x-plex-token': token }),
    })
    await res.body?.cancel()
    return res.status
  }

  it('a token issued before a restart is still good after it; without the file it is not', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'fake-plex-state-')), 'state.json')
    const first = await serveFakePlex({ port: 0, stateFile })
    const token = await signIn(first, 'device-kept')
    const signedOut = await signIn(first, 'device-signed-out')
    await fetch(`${first.plexTvUrl}/api/v2/users/signout`, {
      method: 'DELETE',
      headers: plexHeaders({ 'x-plex-token': signedOut, 'x-plex-client-identifier': 'device-signed-out' }),
    })
    expect(await userStatus(first, token)).toBe(200)
    const revoked = await userStatus(first, signedOut)
    expect(revoked).not.toBe(200)
    await first.close()
    expect(statSync(stateFile).mode & 0o777).toBe(0o600)

    const second = await serveFakePlex({ port: 0, stateFile })
    try {
      expect(await userStatus(second, token)).toBe(200)
      expect(await userStatus(second, signedOut)).toBe(revoked) // revoked stays revoked
    } finally {
      await second.close()
    }
    const forgetful = await serveFakePlex({ port: 0 })
    try {
      expect(await userStatus(forgetful, token)).not.toBe(200)
    } finally {
      await forgetful.close()
    }
  })

  it('an unreadable file means the seed, not a crash', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'fake-plex-state-')), 'state.json')
    writeFileSync(stateFile, '{not json')
    const served = await serveFakePlex({ port: 0, stateFile })
    try {
      expect(await userStatus(served, ALICE_TOKEN)).toBe(200)
    } finally {
      await served.close()
    }
  })
})
