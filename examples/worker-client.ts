// Scripting against a deployed plex-auth worker with its typed client (bearer session), on Node (tsx),
// Deno or Bun:  PLEX_AUTH_URL=https://auth.example.com PLEX_LOGIN=... PLEX_PASSWORD=... bun examples/worker-client.ts
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
  if (!isWorkerProblemError(error)) throw error
  console.error(`The worker said no: ${error.code} (${error.title})`)
  throw error
}
