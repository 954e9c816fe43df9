// node examples/node.mjs — sign in, read the account, get a transient token, with @plex-auth/core on Node.
// Against the real plex.tv by default; `PLEX_TV_URL` points it at the fake (see test/examples.test.ts).
import { createPlexClient, isPlexError } from '@plex-auth/core'

const plex = createPlexClient({
  clientIdentifier: process.env.PLEX_CLIENT_IDENTIFIER ?? 'plex-auth-example-node',
  product: 'plex-auth example',
  plexTvUrl: process.env.PLEX_TV_URL ?? 'https://plex.tv',
})

try {
  const account = await plex.postUsersSignInData({
    login: process.env.PLEX_LOGIN ?? '',
    password: process.env.PLEX_PASSWORD ?? '',
    verificationCode: process.env.PLEX_2FA_CODE,
  })
  const user = await plex.getTokenDetails({ token: account.authToken })
  console.log(`Signed in as ${user.username} <${user.email}>`)
  if (process.env.PLEX_SERVER_URL) {
    const { token } = await plex.getTransientToken({
      type: 'delegation',
      scope: 'all',
      serverUrl: process.env.PLEX_SERVER_URL,
      token: account.authToken,
    })
    console.log(`Transient token: ${token.length} characters`)
  }
} catch (error) {
  if (!isPlexError(error)) throw error
  // plex.tv answers a wrong 2FA code like a wrong password (401, code 1001): with a code sent, say so.
  const reason =
    error.code === 'unauthorized' && process.env.PLEX_2FA_CODE
      ? 'the 2FA code, or the password, was not accepted: use the current code'
      : error.message
  console.error(`Plex said no: ${error.code} (${reason})`)
  process.exitCode = 1
}
