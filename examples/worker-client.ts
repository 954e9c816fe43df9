// Scripting against a deployed plex-auth worker with its typed client (bearer session), on Node 20
// (through tsx: `npx tsx examples/worker-client.ts`), Deno or Bun:
//   PLEX_AUTH_URL=https://auth.example.com PLEX_LOGIN=... PLEX_PASSWORD=... npx bun examples/worker-client.ts
// PLEX_2FA_CODE answers a two-factor prompt. A refusal ends with one line and exit code 1.
import { createWorkerClient, isWorkerProblemError } from '@plex-auth/worker/client'

const env = (name: string): string | undefined =>
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name] ??
  (globalThis as { Deno?: { env: { get(name: string): string | undefined } } }).Deno?.env.get(name)

// `session: 'bearer'` asks the worker for the session token in the answer (X-Session-Mode: bearer);
// without it the session would only go into an HttpOnly cookie, which suits browsers, not scripts.
const anonymous = createWorkerClient({
  baseUrl: env('PLEX_AUTH_URL') ?? 'http://localhost:8787',
  session: 'bearer',
})
try {
  const { session, user } = await anonymous.signIn({
    login: env('PLEX_LOGIN') ?? '',
    password: env('PLEX_PASSWORD') ?? '',
    ...(env('PLEX_2FA_CODE') ? { verificationCode: env('PLEX_2FA_CODE') } : {}),
  })
  if (!session.token) throw new Error('the worker did not hand out a bearer token')
  const api = anonymous.withSession({ bearer: session.token })
  console.log(`Signed in as ${user.username}`)
  const { servers } = await api.getServers()
  console.log(`Servers: ${servers.map((s) => s.name).join(', ')}`)
  const transient = await api.getTransientToken({ server: servers[0]?.clientIdentifier })
  console.log(`Transient token for ${servers[0]?.name}: ${transient.token.length} characters`)
  await api.signOut()
  console.log('Signed out')
} catch (error) {
  console.error(
    isWorkerProblemError(error)
      ? `The worker said no: ${error.code} (${error.detail})`
      : `Could not talk to the worker: ${error instanceof Error ? error.message : String(error)}`,
  )
  // Exit code 1 without a stack trace, on Node and Bun (process) and Deno (which has process too).
  ;(globalThis as { process?: { exitCode?: number } }).process!.exitCode = 1
}
