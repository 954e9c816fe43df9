import { isPlexError } from '@plex-auth/core'
import { described } from '../http/described.ts'
import { ProblemError } from '../http/problem.ts'
import { clientIp, enforceRateLimit, loginKey } from '../http/rate-limit.ts'
import { SignedInResponse } from '../http/response-schemas.ts'
import { defineRoute, type RouteDocs, UPSTREAM_PROBLEMS } from '../http/route.ts'
import { SignInBody } from '../http/schemas.ts'
import { readBody, validate } from '../http/validation.ts'
import { newDevice } from '../plex/device.ts'
import type { PlexClient } from '../plex/plex.ts'
import { guardPasswordSignIn } from '../plex/sign-in-guard.ts'
import { sessionModeOf, startSession } from '../sessions/session.ts'

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
 * `POST /v1/sign-in`: signs in to plex.tv with a login and password (and a 2FA code when asked) as a new
 * Plex device, and opens a session for it. Limited per client IP (/64) and per login, 2FA codes per
 * login, and failures worker-wide (a slot reserved with SignInGuard), all before plex.tv is asked.
 */
/** A refused 2FA code: what the user can do about it, in one sentence. */
const WRONG_CODE =
  'Plex did not accept this 2FA code (or the password): enter the current code from your authenticator app.'

export const signIn = defineRoute(
  {
    method: 'POST',
    path: '/v1/sign-in',
    opensSession: true,
  },
  async (c) => {
    const { config, plexFor } = c.var
    const mode = sessionModeOf(c)
    const body = await readBody(c, { form: true })
    const isForm = c.req.header('Content-Type')?.toLowerCase().startsWith('application/x-www-form-urlencoded')
    const input = validate(
      SignInBody,
      isForm && body && typeof body === 'object' ? fromForm(body as object as Record<string, unknown>) : body,
    )
    const login = await loginKey(input.login)
    await enforceRateLimit(config.signInLimiter, [`ip:${clientIp(c)}`, login])
    // A 6-digit code is guessable where a password is not: codes get their own, smaller allowance.
    if (input.verificationCode) await enforceRateLimit(config.verificationCodeLimiter, [`2fa:${login}`])
    const device = newDevice(c.req.header('User-Agent'))
    let user: Awaited<ReturnType<PlexClient['postUsersSignInData']>>
    try {
      user = await guardPasswordSignIn(c, () =>
        plexFor(device).postUsersSignInData({
          login: input.login,
          password: input.password,
          rememberMe: input.rememberMe ?? false,
          ...(input.verificationCode ? { verificationCode: input.verificationCode } : {}),
        }),
      )
    } catch (error) {
      // With a code sent, the password was already accepted once (Plex asked for the code): a refusal
      // now is about the code. plex.tv answers a wrong code with 1001 (or 1029 again): say which it was.
      if (input.verificationCode && isPlexError(error, 'verification_code_required'))
        throw new ProblemError('verification_code_required', WRONG_CODE)
      if (isPlexError(error, 'unauthorized'))
        throw new ProblemError(
          'invalid_credentials',
          input.verificationCode ? WRONG_CODE : 'Plex did not accept this login and password.',
        )
      throw error
    }
    if (typeof user.authToken !== 'string' || user.authToken === '') {
      throw new ProblemError('upstream_invalid_response', 'Plex signed in without a token.')
    }
    return startSession(c, {
      plexToken: user.authToken,
      obtained: true,
      source: 'password',
      device,
      user,
      mode,
    })
  },
)

/** OpenAPI text of `signIn`: only the build-time document reads it (routes/route-docs.ts). */
export const signInDocs = (): RouteDocs => ({
  summary: 'Sign in with a Plex login and password (and a 2FA code when asked); opens a new session',
  description:
    'Each sign-in is its own Plex device (a random X-Plex-Client-Identifier, named after the browser). ' +
    'Limited per client IP (/64) and login, 2FA codes per login, and failed sign-ins worker-wide (429 with Retry-After), ' +
    "so nobody can get the worker's address locked out at plex.tv. A form post needs an allowed Origin.",
  request: {
    body: {
      schema: described(SignInBody, {
        login: 'Email address or username of the Plex account.',
        password: 'Password of the Plex account. Sent to plex.tv only, never stored.',
        rememberMe: 'Passed to plex.tv. Default false.',
        verificationCode: 'The two-factor code, for accounts with two-factor authentication.',
      }),
      form: true,
    },
  },
  response: { status: 201, description: 'Signed in', schema: SignedInResponse, setsCookie: true },
  problems: [
    'not_a_member',
    'invalid_request',
    'invalid_credentials',
    'verification_code_required',
    'locked_out',
    'origin_not_allowed',
    'payload_too_large',
    'unsupported_media_type',
    ...UPSTREAM_PROBLEMS,
  ],
})
