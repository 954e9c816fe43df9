import { Hono } from 'hono'
import type { AppEnv } from '../app.ts'
import { isPlexError } from '../plex.ts'
import { ProblemError } from '../problem.ts'
import { clientIp, enforceRateLimit, loginKey } from '../rate-limit.ts'
import { SignInBody } from '../schemas.ts'
import { startSession } from '../session.ts'
import { readBody, validate } from '../validation.ts'

const FORM_BOOLEANS: Record<string, boolean> = {
  true: true,
  on: true,
  '1': true,
  false: false,
  off: false,
  '0': false,
}

/** HTML forms send every field as a string: read `rememberMe` as a boolean, and drop empty optional fields. */
function fromForm(body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body }
  if (typeof out.rememberMe === 'string' && out.rememberMe in FORM_BOOLEANS)
    out.rememberMe = FORM_BOOLEANS[out.rememberMe]
  if (out.verificationCode === '') delete out.verificationCode
  return out
}

/**
 * `POST /v1/sign-in`: signs in to plex.tv with a login and password (and a 2FA code when asked) and
 * opens a new session. Limited per client IP and per login before plex.tv is asked.
 */
export const signIn = new Hono<AppEnv>().post('/v1/sign-in', async (c) => {
  const { config, plex } = c.var
  const body = await readBody(c, { form: true })
  const isForm = c.req.header('Content-Type')?.toLowerCase().startsWith('application/x-www-form-urlencoded')
  const input = validate(
    SignInBody,
    isForm && body && typeof body === 'object' ? fromForm(body as object as Record<string, unknown>) : body,
  )
  await enforceRateLimit(config.signInLimiter, [`ip:${clientIp(c)}`, await loginKey(input.login)])
  let user: Awaited<ReturnType<typeof plex.postUsersSignInData>>
  try {
    user = await plex.postUsersSignInData({
      login: input.login,
      password: input.password,
      rememberMe: input.rememberMe ?? false,
      ...(input.verificationCode ? { verificationCode: input.verificationCode } : {}),
    })
  } catch (error) {
    if (isPlexError(error, 'unauthorized')) {
      throw new ProblemError(401, 'invalid_credentials', 'Plex did not accept this login and password.')
    }
    throw error
  }
  if (typeof user.authToken !== 'string' || user.authToken === '') {
    throw new ProblemError(502, 'upstream_invalid_response', 'Plex signed in without a token.')
  }
  return startSession(c, { plexToken: user.authToken, source: 'password', user })
})
