// Speed benchmark: one getTokenDetails call against an in-process stub, beside a bare fetch + JSON.parse of
// the same body and beside @lukehagar/plexjs@0.39.0 on the same stub, measured in one run.
import { PlexAPI } from '@lukehagar/plexjs'
import { HTTPClient } from '@lukehagar/plexjs/lib/http.js'
// The built package, as users run it: npm run bench builds it and runs without the source condition.
import { getTokenDetails } from '@plex-auth/core'
import { parse } from 'valibot'
import { userPlexAccountSchema } from '../packages/core/src/schemas.ts'
import { createFakePlex } from '../packages/fake-plex/src/index.ts'
import { compare, type TimingRow } from './timing.ts'

/**
 * The body is the fake's account for alice, as plex.tv would send it, less `pin: null`: plexjs 0.39.0
 * rejects that null (ResponseValidationError), so without this it could not take part at all.
 */
async function accountBody(): Promise<string> {
  const fake = createFakePlex()
  const alice = fake.accounts.find((a) => a.login === 'alice')!
  const res = await fake.fetch('https://plex.tv/api/v2/user', {
    headers: { accept: 'application/json', 'x-plex-client-identifier': 'bench', 'x-plex-token': alice.token },
  })
  const account = (await res.json()) as Record<string, unknown>
  delete account.pin
  return JSON.stringify(account)
}

export async function measureCoreSpeed(): Promise<TimingRow[]> {
  const body = await accountBody()
  const headers = { 'content-type': 'application/json; charset=utf-8' }
  // A new Response per call, as a real fetch gives; the stub costs the same for every candidate.
  const stub = async (_input: RequestInfo | URL, _init?: RequestInit): Promise<Response> =>
    new Response(body, { status: 200, headers })
  const token = 'BenchT0kenFaKe000001'
  const plexjs = new PlexAPI({ accessToken: token, httpClient: new HTTPClient({ fetcher: stub }) })

  const rows = await compare([
    {
      name: 'bare fetch + JSON.parse',
      run: async () => {
        const res = await stub('https://plex.tv/api/v2/user', {
          headers: { accept: 'application/json', 'x-plex-client-identifier': 'bench', 'x-plex-token': token },
        })
        if (!res.ok) throw new Error('stub failed')
        return JSON.parse(await res.text())
      },
    },
    {
      // Not a competitor: the two things core does that a bare call does not, to show where time goes.
      name: 'bare + valibot validation + AbortController timeout',
      run: async () => {
        const controller = new AbortController()
        const timer = setTimeout(() => controller.abort(), 10_000)
        try {
          const res = await stub('https://plex.tv/api/v2/user', {
            headers: {
              accept: 'application/json',
              'x-plex-client-identifier': 'bench',
              'x-plex-token': token,
            },
            signal: controller.signal,
          })
          if (!res.ok) throw new Error('stub failed')
          return parse(userPlexAccountSchema, JSON.parse(await res.text()))
        } finally {
          clearTimeout(timer)
        }
      },
    },
    {
      name: '@plex-auth/core getTokenDetails',
      run: () =>
        getTokenDetails({ clientIdentifier: 'bench', product: 'bench', token, fetch: stub, retry: false }),
    },
    { name: '@lukehagar/plexjs getTokenDetails', run: () => plexjs.authentication.getTokenDetails() },
  ])
  return rows
}
