// The worker binds only the core operations it calls (src/plex/plex.ts) instead of createPlexClient: the
// same options must reach plex.tv, merged as core's mergeOptions merges them.

import { createPlexClient } from '@plex-auth/core'
import { createFakePlex } from '@plex-auth/fake-plex'
import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.ts'
import { createPlex } from '../../src/plex/plex.ts'

const config = {
  product: 'plex-auth test',
  plexTvUrl: 'https://plex.tv',
  clientsUrl: 'https://clients.plex.tv',
  timeoutMs: 5000,
} as Config
const device = { clientIdentifier: 'device-1', deviceName: 'Firefox on macOS' }

/** Two calls with a token filled in; params loosely typed, to pass what the types would not (undefined). */
interface Calls {
  getTokenDetails(params: Record<string, unknown>): Promise<unknown>
  getResources(params: Record<string, unknown>): Promise<unknown>
}

/** What each client sends for the same calls: the worker's and the core's, bound alike. */
async function sent(call: (plex: Calls) => Promise<unknown>) {
  const fake = createFakePlex()
  const token = fake.accounts[0]!.token
  const worker = createPlex(config, fake.fetch, device)
  const core = createPlexClient({
    clientIdentifier: device.clientIdentifier,
    deviceName: device.deviceName,
    product: config.product,
    plexTvUrl: config.plexTvUrl,
    clientsUrl: config.clientsUrl,
    fetch: fake.fetch,
    timeoutMs: config.timeoutMs,
    retry: false,
  })
  const results = []
  const requests = []
  for (const plex of [worker, core] as unknown as Calls[]) {
    const before = fake.requests.length
    results.push(
      await call({
        getTokenDetails: (params) => plex.getTokenDetails({ token, ...params }),
        getResources: (params) => plex.getResources({ token, ...params }),
      }),
    )
    requests.push(fake.requests.slice(before))
  }
  return { worker: requests[0]!, core: requests[1]!, results }
}

describe('createPlex', () => {
  it('sends what createPlexClient sends: the device, product and URLs bound, call options on top', async () => {
    const { worker, core, results } = await sent(async (plex) => [
      await plex.getTokenDetails({}),
      await plex.getResources({ headers: { 'X-Extra': 'yes' } }),
    ])
    expect(worker.length).toBe(2)
    expect(worker).toEqual(core)
    expect(results[0]).toEqual(results[1])
    expect(worker[0]!.headers['x-plex-client-identifier']).toBe('device-1')
    expect(worker[0]!.headers['x-plex-product']).toBe('plex-auth test')
    expect(worker[1]!.headers['x-extra']).toBe('yes')
  })

  it('a call option that is undefined leaves the bound one (as mergeOptions): no undefined timeout or fetch', async () => {
    const { worker, core } = await sent((plex) =>
      plex.getTokenDetails({
        timeoutMs: undefined,
        fetch: undefined,
        clientIdentifier: undefined,
        signal: undefined,
      }),
    )
    expect(worker).toHaveLength(1)
    expect(worker).toEqual(core)
    expect(worker[0]!.headers['x-plex-client-identifier']).toBe('device-1')
  })

  it('a call signal is passed through: an aborted call is aborted', async () => {
    const fake = createFakePlex()
    const plex = createPlex(config, fake.fetch, device)
    const signal = AbortSignal.abort()
    await expect(plex.getTokenDetails({ token: fake.accounts[0]!.token, signal })).rejects.toMatchObject({
      code: 'aborted',
    })
  })

  it('binds every operation the worker calls, and each is the core function', () => {
    const plex = createPlex(config, fetch, device)
    const core = createPlexClient({ clientIdentifier: 'x' })
    for (const name of Object.keys(plex))
      expect(typeof core[name as keyof typeof core], name).toBe('function')
    // What src/ calls on a client (`plex.x(`, `plexFor(…).x(`); typecheck says so too, this says it at run time.
    const sources = import.meta.glob<string>('../../src/**/*.ts', {
      query: '?raw',
      import: 'default',
      eager: true,
    })
    const called = new Set(
      Object.values(sources).flatMap((text) =>
        [...text.matchAll(/\b(?:plex|plexFor\([^)]*\))\.([a-zA-Z]+)\(/g)].map((match) => match[1]!),
      ),
    )
    expect(called.size).toBeGreaterThan(10)
    expect(
      [...called].filter((name) => typeof (plex as Record<string, unknown>)[name] !== 'function'),
    ).toEqual([])
  })
})
