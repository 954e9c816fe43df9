import { env } from 'cloudflare:test'
import { createFakePlex, type FakePlex, type FakePlexOptions } from '@plex-auth/fake-plex'
import * as v from 'valibot'
import { expect } from 'vitest'
import { createApp } from '../src/app.ts'
import type { Bindings } from '../src/env.ts'
import type { ProblemBody, ProblemCode } from '../src/http/problem.ts'
import type { Route } from '../src/http/route.ts'
import { ROUTES } from '../src/routes/index.ts'
import { ROUTE_DOCS } from '../src/routes/route-docs.ts'
import { importEncryptionKey, keyring, open, sha256 } from '../src/sessions/token-crypto.ts'

export const SERVER_URL = 'https://192-168-1-10.0f3b8a61c2d94e7f8a1b2c3d4e5f6a7b.plex.direct:32400'
export const MAIN_SERVER_ID = '4d1c3e9a5b7f2e8d6c0a1b3f5e7d9c2a4b6e8f01'
export const ALLOWED_ORIGIN = 'https://app.example'
export const ALICE_TOKEN = 'ALiCeT0kenFaKe9x2Qm7'
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/

/** Per-test IPs so the sign-in limiter (fixed 60 s windows, shared across tests) never interferes. */
export function randomIp(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4))
  return `10.${bytes[0]}.${bytes[1]}.${bytes[2]}`
}

export interface Harness {
  fake: FakePlex
  /**
   * The app's request with the test env, plus `envOverrides`. Every 2xx answer must be its route's
   * documented success (status, and the JSON body against the route's schema), else the test fails.
   * With `ctx` (`createExecutionContext()`), the request gets an execution context, so work it hands to
   * `waitUntil` runs after the answer (`waitOnExecutionContext(ctx)` waits for it); without one it is awaited.
   */
  request(
    path: string,
    init?: RequestInit,
    envOverrides?: Partial<Bindings>,
    ctx?: ExecutionContext,
  ): Promise<Response>
  /** Signs in (JSON, bearer use); returns the session token, the Plex token plex.tv issued, the response and its body. */
  signIn(
    login?: string,
    password?: string,
  ): Promise<{ token: string; plexToken: string; res: Response; body: SignedIn }>
  /** Every Plex token plex.tv handed out (sign-in, PIN) through this harness, in order. */
  plexTokens: string[]
  /** The bindings its requests get (before `envOverrides`): for runKeepAlive and the lineage's own calls. */
  env: Bindings
}

export interface SignedIn {
  /** `token` only with `X-Session-Mode: bearer`. */
  session: { token: string; expiresAt: string }
  user: Record<string, unknown>
}

/**
 * A fresh fake Plex and app. The rate-limit bindings and the worker-wide budget of failed sign-ins are
 * off unless `limiter` is set: miniflare's limiter windows are shared by every test in the run, and most
 * tests sign in again after a wrong password. With `limiter`, SIGN_IN_GUARD is a fresh instance of its
 * own (`isolatedSignInGuard`). A test can pass its own (`countingLimiter`, a shared guard) in `env`.
 */
export function harness(
  options: { fake?: FakePlexOptions; now?: () => number; limiter?: boolean; env?: Partial<Bindings> } = {},
): Harness {
  const fake = createFakePlex(options.fake)
  const plexTokens: string[] = []
  // Watches plex.tv's answers for the tokens it issues, so tests can look for them in KV and answers.
  const watched: typeof fetch = async (input, init) => {
    const res = await fake.fetch(input, init)
    const url = new URL(input instanceof Request ? input.url : String(input))
    if (/\/api\/v2\/(users\/signin|pins\/\d+)$/.test(url.pathname) && res.ok) {
      try {
        const token = ((await res.clone().json()) as { authToken?: unknown }).authToken
        if (typeof token === 'string') plexTokens.push(token)
      } catch {}
    }
    return res
  }
  const app = createApp({ fetch: watched, ...(options.now ? { now: options.now } : {}) })
  const baseEnv: Bindings = { ...env }
  if (!options.limiter) {
    delete baseEnv.SIGN_IN_LIMITER
    delete baseEnv.PIN_POLL_LIMITER
    delete baseEnv.VERIFICATION_CODE_LIMITER
    delete baseEnv.PIN_CREATE_LIMITER
    delete baseEnv.SIGN_IN_GUARD
  } else baseEnv.SIGN_IN_GUARD = isolatedSignInGuard()
  // Every harness has its accounts' lineages to itself: tests sign in as the same seed accounts.
  baseEnv.SESSION_LINEAGE = isolatedLineage()
  Object.assign(baseEnv, options.env)
  const request = async (
    path: string,
    init: RequestInit = {},
    envOverrides: Partial<Bindings> = {},
    ctx?: ExecutionContext,
  ) => {
    const res = await app.request(path, init, { ...baseEnv, ...envOverrides }, ctx)
    await expectDocumented(init.method ?? 'GET', path, res)
    return res
  }
  return {
    fake,
    plexTokens,
    env: baseEnv,
    request,
    async signIn(login = 'alice', password = `${login}-password`) {
      const res = await request('/v1/sign-in', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'CF-Connecting-IP': randomIp(),
          'X-Session-Mode': 'bearer',
        },
        body: JSON.stringify({ login, password }),
      })
      expect(res.status, 'sign-in').toBe(201)
      const body = (await res.json()) as SignedIn
      return { token: body.session.token, plexToken: plexTokens.at(-1)!, res, body }
    },
  }
}

/**
 * Fails unless a 2xx answer is what its route (src/routes/index.ts, by method and path) documents: the
 * success status, and a JSON body that its success schema accepts; and unless a problem+json answer of a
 * route carries a code its docs list. Other answers pass untouched.
 */
export async function expectDocumented(method: string, path: string, res: Response): Promise<void> {
  const upper = method.toUpperCase()
  if (upper === 'OPTIONS') return
  const pathname = new URL(path, 'https://worker.test').pathname
  const route = ROUTES.find(
    (r) => (r.method === upper || (r.method === 'GET' && upper === 'HEAD')) && r.pattern.test(pathname),
  )
  const what = `${upper} ${pathname} answered ${res.status}`
  if (res.status >= 400) return expectDocumentedProblem(route, what, res)
  if (res.status < 200 || res.status > 299) return
  if (!route) expect.fail(`${what}, but no route in src/routes/index.ts describes it`)
  const documented = ROUTE_DOCS.get(route)?.response
  if (!documented) expect.fail(`${what}, but src/routes/route-docs.ts has no docs for its route`)
  if (res.status !== documented.status) expect.fail(`${what}, but its route documents ${documented.status}`)
  const schema = documented.schema
  if (!schema || upper === 'HEAD') return
  if (!/^application\/json\b/i.test(res.headers.get('Content-Type') ?? ''))
    expect.fail(`${what} without the JSON body its route documents`)
  const result = v.safeParse(schema, await res.clone().json())
  if (!result.success) {
    const issues = result.issues.map((issue) => `${v.getDotPath(issue) ?? '(body)'}: ${issue.message}`)
    expect.fail(`${what} with a body its documented schema refuses:\n  ${issues.join('\n  ')}`)
  }
}

/**
 * A problem+json answer of a route must carry a code its docs list (or one every route may answer:
 * internal_error, misconfigured), so /openapi.json names every error a caller can get. Answers of no
 * route (404, 405), OAuth JSON errors and HTML error pages are checked elsewhere.
 */
async function expectDocumentedProblem(route: Route | undefined, what: string, res: Response): Promise<void> {
  if (!route || !/^application\/problem\+json\b/i.test(res.headers.get('Content-Type') ?? '')) return
  const documented = ROUTE_DOCS.get(route)?.problems
  if (!documented) expect.fail(`${what}, but src/routes/route-docs.ts has no docs for its route`)
  let code: unknown
  try {
    code = ((await res.clone().json()) as { code?: unknown }).code
  } catch {
    return // HEAD: no body to read
  }
  if (typeof code !== 'string') expect.fail(`${what} with a problem body that names no code`)
  if (![...documented, 'internal_error', 'misconfigured'].includes(code as ProblemCode))
    expect.fail(`${what} with \`${code}\`, a problem its route does not document`)
}

export const bearer = (token: string, extra: Record<string, string> = {}): Record<string, string> => ({
  Authorization: `Bearer ${token}`,
  ...extra,
})

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

/** Asserts a problem+json answer with this status and code, and returns its body. */
export async function expectProblem(res: Response, status: number, code: ProblemCode): Promise<ProblemBody> {
  const text = await res.text()
  expect(res.status, text).toBe(status)
  expect(res.headers.get('Content-Type')).toMatch(/^application\/problem\+json/)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  const body = JSON.parse(text) as ProblemBody
  expect(body).toMatchObject({ type: `urn:plex-auth:problem:${code}`, status, code })
  expect(typeof body.title).toBe('string')
  expect(typeof body.detail).toBe('string')
  expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/) // never a stack trace
  return body
}

export interface KvEntry {
  name: string
  expiration: number | undefined
  metadata: unknown
  value: string | null
}

/** Every key in KV with its value, metadata and expiration. */
export async function dumpKv(): Promise<KvEntry[]> {
  const out: KvEntry[] = []
  let cursor: string | undefined
  do {
    const page = await env.PLEX_AUTH_KV.list(cursor ? { cursor } : {})
    for (const key of page.keys) {
      const { value, metadata } = await env.PLEX_AUTH_KV.getWithMetadata(key.name)
      out.push({ name: key.name, expiration: key.expiration, metadata: metadata ?? key.metadata, value })
    }
    cursor = page.list_complete ? undefined : page.cursor
  } while (cursor)
  return out
}

export async function clearKv(): Promise<void> {
  for (const entry of await dumpKv()) await env.PLEX_AUTH_KV.delete(entry.name)
}

export const KEY_PREFIXES = /^(session|state|transient|servers|pin|user|cron):[A-Za-z0-9_:#-]+$/

/**
 * The storage invariants, checked after each flow: documented prefixes only, no secret anywhere in
 * keys, values or metadata, an expiration at least 60 s ahead on every key.
 */
export async function expectKvClean(secrets: string[]): Promise<KvEntry[]> {
  const entries = await dumpKv()
  const nowSeconds = Date.now() / 1000
  for (const entry of entries) {
    expect(entry.name).toMatch(KEY_PREFIXES)
    expect(entry.expiration, entry.name).toBeTypeOf('number')
    expect(entry.expiration! - nowSeconds, entry.name).toBeGreaterThanOrEqual(55)
    const all = `${entry.name}\n${entry.value}\n${JSON.stringify(entry.metadata)}`
    for (const secret of secrets) expect(all.includes(secret), `${entry.name} holds a secret`).toBe(false)
  }
  return entries
}

/** Opens a KV value with the test key, as the worker would: the record, or undefined when it does not open. */
export async function openKv(
  name: string,
  value: string | null,
): Promise<Record<string, unknown> | undefined> {
  if (value === null) return undefined
  const ring = keyring((await importEncryptionKey(env.TOKEN_ENCRYPTION_KEY!))!)
  const opened = await open(ring, value, name)
  return opened ? (JSON.parse(opened.plaintext) as Record<string, unknown>) : undefined
}

/** A sealed KV value: `v2.<key id>.<iv>.<ciphertext>`, nothing readable. */
export const SEALED_VALUE = /^v2\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/

/**
 * SIGN_IN_GUARD with instances of its own: every name is prefixed with `scope` (default: a fresh one),
 * so tests sharing the run's Durable Object namespace never share the worker's one instance. Pass the
 * same object to several apps to let them share it, as a deployment's isolates do.
 */
export function isolatedSignInGuard(
  scope: string = crypto.randomUUID(),
): NonNullable<Bindings['SIGN_IN_GUARD']> {
  const real = env.SIGN_IN_GUARD!
  return {
    idFromName: (name: string) => real.idFromName(`${scope}:${name}`),
    get: (id: DurableObjectId) => real.get(id),
  } as NonNullable<Bindings['SIGN_IN_GUARD']>
}

/** SESSION_LINEAGE with instances of its own (as isolatedSignInGuard): accounts of one harness only. */
export function isolatedLineage(
  scope: string = crypto.randomUUID(),
): NonNullable<Bindings['SESSION_LINEAGE']> {
  const real = env.SESSION_LINEAGE!
  return {
    idFromName: (name: string) => real.idFromName(`${scope}:${name}`),
    get: (id: DurableObjectId) => real.get(id),
  } as NonNullable<Bindings['SESSION_LINEAGE']>
}

/** The lineage stub of an account in a harness's SESSION_LINEAGE (as lineage.ts names it). */
export async function lineageOf(
  h: { env: Bindings },
  accountUuid: string,
): Promise<DurableObjectStub<import('../src/sessions/session-lineage.ts').SessionLineage>> {
  const namespace = h.env.SESSION_LINEAGE!
  return namespace.get(namespace.idFromName(await sha256(`account:${accountUuid}`)))
}

/** A Rate Limiting binding for one test: `limit` calls per key, ever (no window), recording every key. */
export function countingLimiter(limit: number): RateLimit & { keys: string[] } {
  const counts = new Map<string, number>()
  const keys: string[] = []
  return {
    keys,
    async limit({ key }) {
      keys.push(key)
      const count = (counts.get(key) ?? 0) + 1
      counts.set(key, count)
      return { success: count <= limit }
    },
  }
}
