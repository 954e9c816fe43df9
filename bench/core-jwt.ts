// Plex JWT benchmarks (issue 9): bundle sizes with and without the JWT code, and a local verifyPlexJwt
// with cached keys beside getTokenDetails against the same in-process stub.
// Standalone: `npm run build && npx tsx bench/core-jwt.ts`; from bench/run.ts: `runCoreJwtBenchmarks()`.
import { pathToFileURL } from 'node:url'
// The built package, as users run it (like bench/core-speed.ts).
import { getTokenDetails, verifyPlexJwt } from '@plex-auth/core'
import { importJWK, SignJWT } from 'jose'
import { createFakePlex, DEFAULT_SIGNING_KEY } from '../packages/fake-plex/src/index.ts'
import { bundleSize, type SizeRow } from './size.ts'
import { compare, kb, printTimings, type TimingRow } from './timing.ts'

/** The four original operations must stay at most this many bytes gzipped (README target). */
export const FOUR_OPERATIONS_BUDGET = 10 * 1024

interface JwtSizeRow extends SizeRow {
  /** Whether the bundle holds jose's JWT verification (found by one of its error codes). */
  hasJose: boolean
}

const FOUR =
  'getTransientToken, getSourceConnectionInformation, getTokenDetails, postUsersSignInData, PlexError'
const JWT =
  'generateDeviceKey, signDeviceJwt, createPin, checkPin, registerDeviceKey, refreshPlexJwt, verifyPlexJwt, PlexError'

const entries: Record<string, string> = {
  '@plex-auth/core, the four operations': `export { ${FOUR} } from './packages/core/src/index.ts'`,
  '@plex-auth/core, the JWT functions (key, PIN with a key, register, refresh, verify)': `export { ${JWT} } from './packages/core/src/index.ts'`,
  '@plex-auth/core, verifyPlexJwt alone': `export { verifyPlexJwt } from './packages/core/src/index.ts'`,
  '@plex-auth/core, everything (client, JWT, Home, ping)': `export * from './packages/core/src/index.ts'`,
}

/** Each entry bundled like bench/size.ts: esbuild, minified, browser ESM, gzip -9. */
export async function measureJwtSizes(): Promise<JwtSizeRow[]> {
  const rows: JwtSizeRow[] = []
  for (const [name, contents] of Object.entries(entries)) {
    const { code, minified, gzipped } = await bundleSize(contents)
    const hasJose = new TextDecoder().decode(code).includes('ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
    rows.push({ name, minified, gzipped, hasJose })
  }
  return rows
}

/** getTokenDetails against the stub of bench/core-speed.ts, beside verifyPlexJwt with its keys cached. */
export async function measureJwtSpeed(): Promise<TimingRow[]> {
  const fake = createFakePlex()
  const alice = fake.accounts.find((a) => a.login === 'alice')!
  const accountBody = await (
    await fake.fetch('https://plex.tv/api/v2/user', {
      headers: {
        accept: 'application/json',
        'x-plex-client-identifier': 'bench',
        'x-plex-token': alice.token,
      },
    })
  ).text()
  const jwksBody = await (
    await fake.fetch('https://clients.plex.tv/api/v2/auth/keys', {
      headers: { accept: 'application/json', 'x-plex-client-identifier': 'bench' },
    })
  ).text()
  const headers = { 'content-type': 'application/json; charset=utf-8' }
  let jwksFetches = 0
  // A new Response per call, as a real fetch gives.
  const stub = async (input: RequestInfo | URL): Promise<Response> => {
    if (String(input).endsWith('/api/v2/auth/keys')) {
      jwksFetches++
      return new Response(jwksBody, { status: 200, headers })
    }
    return new Response(accountBody, { status: 200, headers })
  }
  const iat = Math.floor(Date.now() / 1000)
  const jwt = await new SignJWT({
    iss: 'plex.tv',
    aud: ['bench'],
    iat,
    exp: iat + 7 * 86400,
    nonce: 'bench',
    thumbprint: 'bench-device',
    user: { id: alice.id, uuid: alice.uuid, username: alice.login },
  })
    .setProtectedHeader({ kid: DEFAULT_SIGNING_KEY.kid, alg: 'EdDSA', typ: 'JWT' })
    .sign(await importJWK(DEFAULT_SIGNING_KEY.privateJwk, 'EdDSA'))
  const options = { clientIdentifier: 'bench', product: 'bench', fetch: stub, retry: false as const }
  // The floor verifyPlexJwt cannot go under: one Ed25519 verification by WebCrypto, over the same bytes.
  const publicKey = await importJWK(DEFAULT_SIGNING_KEY.publicJwk, 'EdDSA')
  const [header, payload, signature] = jwt.split('.') as [string, string, string]
  const signed = new TextEncoder().encode(`${header}.${payload}`)
  const signatureBytes = Uint8Array.from(atob(signature.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
    c.charCodeAt(0),
  )
  const rows = await compare([
    {
      name: '@plex-auth/core getTokenDetails (stub answers at once)',
      run: () => getTokenDetails({ ...options, token: alice.token }),
    },
    {
      name: '@plex-auth/core verifyPlexJwt (JWKS cached)',
      run: () => verifyPlexJwt({ ...options, token: jwt }),
    },
    {
      name: 'floor: one WebCrypto Ed25519 verify (crypto.subtle.verify)',
      run: async () => {
        if (!(await crypto.subtle.verify('Ed25519', publicKey as CryptoKey, signatureBytes, signed))) {
          throw new Error('the floor must verify')
        }
      },
    },
  ])
  if (jwksFetches !== 1) throw new Error(`the JWKS was fetched ${jwksFetches} times, not once`)
  return rows
}

/** Prints both tables; throws when the four operations exceed their budget or bundle jose. */
export async function runCoreJwtBenchmarks(): Promise<void> {
  console.log('\n## Bundle size with Plex JWT code (esbuild, minified, browser ESM; gzip -9)\n')
  const sizes = await measureJwtSizes()
  const four = sizes[0]!
  console.log('| bundle | minified | gzipped | holds jose |')
  console.log('| --- | ---: | ---: | --- |')
  for (const row of sizes) {
    console.log(`| ${row.name} | ${kb(row.minified)} | ${kb(row.gzipped)} | ${row.hasJose ? 'yes' : 'no'} |`)
  }
  if (four.gzipped > FOUR_OPERATIONS_BUDGET || four.hasJose) {
    throw new Error(
      `the four operations are ${kb(four.gzipped)} gzipped${four.hasJose ? ' and bundle jose' : ''}`,
    )
  }

  console.log(
    '\n## verifyPlexJwt (local, JWKS cached) beside getTokenDetails, in-process stub (median of 31 interleaved rounds of 1000 calls each, after 5000 warm-up calls)\n',
  )
  printTimings(await measureJwtSpeed(), 'time vs getTokenDetails')
  console.log(
    '\nThe stub answers at once: a real getTokenDetails adds a round trip to plex.tv (tens to hundreds of ms); verifyPlexJwt makes none.',
  )
}

const entry = process.argv[1]
if (entry && import.meta.url === pathToFileURL(entry).href) await runCoreJwtBenchmarks()
