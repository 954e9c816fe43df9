// bun examples/bun.ts — the same flow on Bun.
import { createPlexClient, isPlexError } from '@plex-auth/core'

const plex = createPlexClient({
  clientIdentifier: Bun.env.PLEX_CLIENT_IDENTIFIER ?? 'plex-auth-example-bun',
  product: 'plex-auth example',
  plexTvUrl: Bun.env.PLEX_TV_URL ?? 'https://plex.tv',
})

try {
  const account = await plex.postUsersSignInData({
    login: Bun.env.PLEX_LOGIN ?? '',
    password: Bun.env.PLEX_PASSWORD ?? '',
    verificationCode: Bun.env.PLEX_2FA_CODE,
  })
  const user = await plex.getTokenDetails({ token: account.authToken })
  console.log(`Signed in as ${user.username} <${user.email}>`)
} catch (error) {
  if (!isPlexError(error)) throw error
  // plex.tv answers a wrong 2FA code like a wrong password (401, code 1001): with a code sent, say so.
  const reason =
    error.code === 'unauthorized' && Bun.env.PLEX_2FA_CODE
      ? 'the 2FA code, or the password, was not accepted: use the current code'
      : error.message
  console.error(`Plex said no: ${error.code} (${reason})`)
  process.exit(1)
}
