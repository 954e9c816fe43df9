// The PIN sign-in a click starts (src/client/sign-in-with-plex.ts): popup opened inside the gesture, or a
// same-window redirect when the browser blocks it (goauthentik/authentik#24613, sct/overseerr#1848).
import { beforeEach, describe, expect, it } from 'vitest'
import {
  createWorkerClient,
  isWorkerProblemError,
  PENDING_PIN_KEY,
  resumeSignInWithPlex,
  type SignInPopup,
  type SignInWindow,
  signInWithPlex,
} from '../src/client/client.ts'
import { ALLOWED_ORIGIN, clearKv, type Harness, harness, randomIp } from './helpers.ts'

beforeEach(clearKv)

const PAGE = `${ALLOWED_ORIGIN}/account`

/** A browser window stand-in that records, in order, what the flow did: open, fetch, navigate. */
function browser(h: Harness, { blockPopups }: { blockPopups: boolean }) {
  const events: string[] = []
  const storage = new Map<string, string>()
  const popup: SignInPopup & { closed: boolean } = {
    location: { href: 'about:blank' },
    closed: false,
    close() {
      this.closed = true
      events.push('popup closed')
    },
  }
  const win: SignInWindow = {
    open(url, target) {
      events.push(`open ${url} ${target}`)
      return blockPopups ? null : popup
    },
    location: {
      href: PAGE,
      assign(url) {
        events.push(`navigate ${new URL(url).origin}`)
        win.location.href = url
      },
    },
    sessionStorage: {
      getItem: (key) => storage.get(key) ?? null,
      setItem: (key, value) => void storage.set(key, value),
      removeItem: (key) => void storage.delete(key),
    },
  }
  const ip = randomIp()
  const worker = createWorkerClient({
    baseUrl: 'https://worker.test',
    session: 'bearer',
    fetch: async (input, init = {}) => {
      events.push(`fetch ${init.method ?? 'GET'} ${new URL(String(input)).pathname}`)
      const headers = new Headers(init.headers)
      headers.set('CF-Connecting-IP', ip)
      headers.set('Origin', ALLOWED_ORIGIN)
      return h.request(String(input), { ...init, headers })
    },
  })
  return { win, popup, storage, events, worker }
}

/** The PIN code an app.plex.tv URL carries, as the user sees it there. */
const codeOf = (authUrl: string): string => new URLSearchParams(new URL(authUrl).hash.slice(2)).get('code')!

describe('signInWithPlex', () => {
  it('opens the popup before any request, then points it at app.plex.tv and signs in', async () => {
    const h = harness()
    const b = browser(h, { blockPopups: false })
    const shown: string[] = []
    const started = signInWithPlex(b.worker, {
      window: b.win,
      intervalMs: 5,
      onPin: (pin) => shown.push(pin.code, String(Object.keys(pin).includes('pollToken'))),
    })
    // Synchronously, the popup opened first: before the PIN request (and any await).
    expect(b.events[0]).toBe('open about:blank plex-auth-sign-in')
    expect(b.popup.location.href).toBe('about:blank')
    await waitFor(() => b.popup.location.href.startsWith('https://app.plex.tv/'))
    h.fake.approvePin(codeOf(b.popup.location.href), 'alice')
    const result = await started
    expect(result.via).toBe('popup')
    if (result.via === 'popup') expect(result.user).toMatchObject({ username: 'alice' })
    expect(b.events[1]).toBe('fetch POST /v1/pins')
    expect(shown).toEqual([codeOf(b.popup.location.href), 'false'])
    expect(b.events.at(-1)).toBe('popup closed')
    expect(b.storage.size).toBe(0)
  })

  it('a blocked popup: the page goes to app.plex.tv with forwardUrl, and the next page load finishes', async () => {
    const h = harness()
    const b = browser(h, { blockPopups: true })
    expect(await signInWithPlex(b.worker, { window: b.win })).toEqual({ via: 'redirect' })
    expect(b.events).toEqual([
      'open about:blank plex-auth-sign-in',
      'fetch POST /v1/pins',
      'navigate https://app.plex.tv',
    ])
    const authUrl = new URL(b.win.location.href)
    const params = new URLSearchParams(authUrl.hash.slice(2))
    expect(params.get('forwardUrl')).toBe(PAGE)
    expect(JSON.parse(b.storage.get(PENDING_PIN_KEY)!)).toEqual({
      id: expect.stringMatching(/^\d+$/),
      pollToken: expect.any(String),
      expiresAt: expect.any(String),
    })
    // Back from app.plex.tv: a new page load resumes.
    h.fake.approvePin(codeOf(b.win.location.href), 'alice')
    const resumed = await resumeSignInWithPlex(b.worker, { window: b.win, intervalMs: 5 })
    expect(resumed?.user).toMatchObject({ username: 'alice' })
    expect(b.storage.has(PENDING_PIN_KEY)).toBe(false)
    // A reload afterwards has nothing to resume.
    expect(await resumeSignInWithPlex(b.worker, { window: b.win })).toBeUndefined()
  })

  it('a forwardUrl on an origin the worker does not allow is refused, and nothing is stored', async () => {
    const h = harness()
    const b = browser(h, { blockPopups: true })
    const error = await signInWithPlex(b.worker, {
      window: b.win,
      forwardUrl: 'https://evil.example/x',
    }).catch((e) => e)
    expect(isWorkerProblemError(error) && error.status).toBe(400)
    expect(b.storage.size).toBe(0)
    expect(b.events.some((e) => e.startsWith('navigate'))).toBe(false)
  })

  it('a failed PIN creation closes the popup; a planted or damaged pending entry is dropped, never polled', async () => {
    const h = harness({ env: { PLEX_TV_URL: 'https://plex.tv' } })
    const b = browser(h, { blockPopups: false })
    h.fake.inject({ host: 'plex.tv', path: '/api/v2/pins', kind: 'status', status: 500 })
    await expect(signInWithPlex(b.worker, { window: b.win })).rejects.toThrow()
    expect(b.popup.closed).toBe(true)
    for (const planted of [
      'not json',
      '{"id":"../../v1/sign-out","pollToken":"x","expiresAt":"2030-01-01T00:00:00Z"}',
      '{"id":"1","pollToken":"a b","expiresAt":"2030-01-01T00:00:00Z"}',
      '{"id":"1","pollToken":"x","expiresAt":"soon"}',
    ]) {
      b.storage.set(PENDING_PIN_KEY, planted)
      const before = b.events.length
      expect(await resumeSignInWithPlex(b.worker, { window: b.win })).toBeUndefined()
      expect(b.events.length).toBe(before)
      expect(b.storage.has(PENDING_PIN_KEY)).toBe(false)
    }
  })
})

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(condition()).toBe(true)
}
