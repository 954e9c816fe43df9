import { beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE_TOKEN,
  clearKv,
  dumpKv,
  expectKvClean,
  expectProblem,
  harness,
  json,
  openKv,
  randomIp,
  TOKEN_PATTERN,
} from '../helpers.ts'

beforeEach(clearKv)

const BEARER_MODE = { 'X-Session-Mode': 'bearer' }

describe('POST /v1/sessions', () => {
  it('opens a session for a Plex token plex.tv accepts', async () => {
    const h = harness()
    const res = await h.request(
      '/v1/sessions',
      json({ plexToken: ALICE_TOKEN }, { 'CF-Connecting-IP': randomIp(), ...BEARER_MODE }),
    )
    expect(res.status).toBe(201)
    const body = (await res.json()) as { session: { token: string }; user: object }
    expect(body.session.token).toMatch(TOKEN_PATTERN)
    expect(body.user).toMatchObject({ username: 'alice' })
    expect(JSON.stringify(body)).not.toContain(ALICE_TOKEN)
    expect(res.headers.get('Set-Cookie')).toBeNull()
    const [entry] = await expectKvClean([ALICE_TOKEN, body.session.token])
    expect((await openKv(entry!.name, entry!.value))!.source).toBe('exchange')
  })

  it('401 invalid_credentials for a token plex.tv rejects; 400 for a malformed one', async () => {
    const h = harness()
    const body = await expectProblem(
      await h.request('/v1/sessions', json({ plexToken: 'NotAPlexToken123' })),
      401,
      'invalid_credentials',
    )
    expect(JSON.stringify(body)).not.toContain('NotAPlexToken123')
    const bad = await expectProblem(
      await h.request('/v1/sessions', json({ plexToken: 'has spaces SECRET' })),
      400,
      'invalid_request',
    )
    expect(JSON.stringify(bad)).not.toContain('SECRET')
    await expectProblem(await h.request('/v1/sessions', json({})), 400, 'invalid_request')
    expect(await dumpKv()).toEqual([])
  })
})
