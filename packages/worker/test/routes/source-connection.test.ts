import { beforeEach, describe, expect, it } from 'vitest'
import { bearer, clearKv, expectKvClean, expectProblem, harness, json, MAIN_SERVER_ID } from '../helpers.ts'

beforeEach(clearKv)

describe('GET /v1/source-connection', () => {
  const path = `/v1/source-connection?source=${encodeURIComponent(`server://${MAIN_SERVER_ID}`)}`

  it('asks the server with a transient token and answers the connections', async () => {
    const h = harness()
    const { token, plexToken } = await h.signIn()
    const res = await h.request(`${path}&refresh=1`, { headers: bearer(token) })
    const text = await res.text()
    expect(res.status, text).toBe(200)
    const body = JSON.parse(text)
    expect(body).toMatchObject({ clientIdentifier: MAIN_SERVER_ID, name: "Alice's Plex" })
    expect(body.connections.length).toBeGreaterThan(0)
    expect(body.connections[0]).toMatchObject({
      protocol: 'https',
      uri: expect.any(String),
      local: expect.any(Boolean),
    })
    // The fake answers with the account's own token: it never reaches the frontend.
    expect(text).not.toContain(plexToken)
    const call = h.fake.requests.at(-1)!
    expect(call.url).toContain('/security/resources?')
    expect(new URL(call.url).searchParams.get('source')).toBe(`server://${MAIN_SERVER_ID}`)
    expect(new URL(call.url).searchParams.get('refresh')).toBe('1')
    expect(call.headers['x-plex-token']).toMatch(/^transient-/)
    await expectKvClean([token, plexToken, call.headers['x-plex-token']!])
  })

  it('recovers when the server restarted: the cached transient token is replaced once', async () => {
    const h = harness()
    const { token } = await h.signIn()
    expect((await h.request(path, { headers: bearer(token) })).status).toBe(200)
    const before = h.fake.requests.at(-1)!.headers['x-plex-token']
    h.fake.restartServer(MAIN_SERVER_ID)
    const res = await h.request(path, { headers: bearer(token) })
    expect(res.status).toBe(200)
    const after = h.fake.requests.at(-1)!.headers['x-plex-token']
    expect(after).toMatch(/^transient-/)
    expect(after).not.toBe(before)
    const cached = (await (await h.request('/v1/transient-token', json({}, bearer(token)))).json()) as {
      token: string
      cached: boolean
    }
    expect(cached).toEqual(expect.objectContaining({ token: after, cached: true }))
  })

  it('a source the server does not know is 404', async () => {
    const h = harness()
    const { token } = await h.signIn()
    await expectProblem(
      await h.request('/v1/source-connection?source=server%3A%2F%2Fnope', { headers: bearer(token) }),
      404,
      'not_found',
    )
  })
})
