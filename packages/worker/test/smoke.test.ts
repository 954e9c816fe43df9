import { env } from 'cloudflare:test'
import { createFakePlex } from '@plex-auth/fake-plex'
import { expect, it } from 'vitest'
import { createApp } from '../src/app.ts'

it('smoke', async () => {
  const fake = createFakePlex()
  const app = createApp({ fetch: fake.fetch })
  const res = await app.request('/v1/health', {}, env)
  expect(res.status).toBe(200)
  const r2 = await app.request('/v1/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'alice', password: 'alice-password' }) }, env)
  console.log(r2.status, await r2.text())
})
