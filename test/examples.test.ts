// The README's runnable examples, run as a user would run them (built package, each runtime's own
// binary), against the fake Plex served on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServedFakePlex, serveFakePlex } from '../packages/fake-plex/src/serve.ts'
import { bin, root, run } from './commands.ts'

let fake: ServedFakePlex

beforeAll(async () => {
  fake = await serveFakePlex()
})
afterAll(async () => {
  await fake?.close()
})

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PLEX_TV_URL: fake.plexTvUrl,
  PLEX_LOGIN: 'alice',
  PLEX_PASSWORD: 'alice-password',
  ...extra,
})

describe('README examples', () => {
  it('node examples/node.mjs signs in and gets a transient token', async () => {
    const { stdout } = await run('node', ['examples/node.mjs'], {
      cwd: root,
      env: env({ PLEX_SERVER_URL: fake.servers[0]!.url }),
    })
    expect(stdout).toContain('Signed in as alice <alice@example.com>')
    expect(stdout).toMatch(/Transient token: \d+ characters/)
  })

  it('node examples/node.mjs explains a wrong password without a stack trace', async () => {
    const failed = await run('node', ['examples/node.mjs'], {
      cwd: root,
      env: env({ PLEX_PASSWORD: 'nope' }),
    }).catch((error: { code: number; stderr: string }) => error)
    expect(failed).toMatchObject({ code: 1 })
    expect((failed as { stderr: string }).stderr).toMatch(/^Plex said no: unauthorized/)
  })

  it('deno run examples/deno.ts signs in', async () => {
    const { stdout } = await run(
      bin('deno'),
      ['run', '--quiet', '--allow-net', '--allow-env', '--allow-read', 'examples/deno.ts'],
      {
        cwd: root,
        env: env(),
      },
    )
    expect(stdout).toContain('Signed in as alice <alice@example.com>')
  })

  it('bun examples/bun.ts signs in as bob with his 2FA code', async () => {
    const { stdout } = await run(bin('bun'), ['examples/bun.ts'], {
      cwd: root,
      env: env({ PLEX_LOGIN: 'bob', PLEX_PASSWORD: 'bob-password', PLEX_2FA_CODE: '123456' }),
    })
    expect(stdout).toContain('Signed in as bob <bob@example.com>')
  })
})
