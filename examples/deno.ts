// deno run --allow-net --allow-env examples/deno.ts — the same flow on Deno (npm package via node_modules,
// or `npm:@plex-auth/core` / JSR once published).
import { createPlexClient, isPlexError } from '@plex-auth/core'

const env = (name: string): string | undefined => Deno.env.get(name)
const plex = createPlexClient({
  clientIdentifier: env('PLEX_CLIENT_IDENTIFIER') ?? 'plex-auth-example-deno',
  product: 'plex-auth example',
  plexTvUrl: env('PLEX_TV_URL') ?? 'https://plex.tv',
})

try {
  const account = await plex.postUsersSignInData({
    login: env('PLEX_LOGIN') ?? '',
    password: env('PLEX_PASSWORD') ?? '',
    verificationCode: env('PLEX_2FA_CODE'),
  })
  const user = await plex.getTokenDetails({ token: account.authToken })
  console.log(`Signed in as ${user.username} <${user.email}>`)
} catch (error) {
  if (!isPlexError(error)) throw error
  // plex.tv answers a wrong 2FA code like a wrong password (401, code 1001): with a code sent, say so.
  const reason =
    error.code === 'unauthorized' && env('PLEX_2FA_CODE')
      ? 'the 2FA code, or the password, was not accepted: use the current code'
      : error.message
  console.error(`Plex said no: ${error.code} (${reason})`)
  Deno.exit(1)
}
