import type { Bindings } from '../src/env.ts'

declare global {
  namespace Cloudflare {
    interface Env
      extends Required<Pick<Bindings, 'PLEX_AUTH_KV' | 'SIGN_IN_LIMITER' | 'PIN_POLL_LIMITER'>>,
        Bindings {}
  }
}
