// The README's OpenID Connect recipes: each client entry is one OIDC_CLIENTS accepts, and each app's
// configuration names this provider's endpoints as they are.
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import readme from '../../../../README.md?raw'
import { OIDC_PATHS } from '../../src/oidc/provider.ts'
import { OidcClientSchema, oidcClients } from '../../src/oidc/settings.ts'

const ISSUER = 'https://auth.example.com'
const section =
  readme.split(/^### Sign in with Plex for any app: OpenID Connect$/m)[1]?.split(/^#{2,3} /m)[0] ?? ''
const blocks = (lang: string) =>
  [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!)

describe('README, "Sign in with Plex for any app"', () => {
  it('lists every endpoint where the provider serves it', () => {
    for (const path of Object.values(OIDC_PATHS)) expect(section).toContain(`${ISSUER}${path}`)
  })

  it('gives Cloudflare Access, oauth2-proxy and Grafana each a client entry OIDC_CLIENTS accepts', () => {
    const entries = blocks('json').map(
      // The placeholders, filled in as a person would.
      (text) =>
        JSON.parse(
          text.replace('<openssl rand -base64 32>', 'x'.repeat(44)).replace('<team>', 'home'),
        ) as unknown,
    )
    expect(entries.map((e) => (e as { client_id: string }).client_id)).toEqual([
      'cloudflare-access',
      'oauth2-proxy',
      'grafana',
    ])
    for (const entry of entries) expect(v.safeParse(OidcClientSchema, entry).success).toBe(true)
    expect(v.safeParse(oidcClients, JSON.stringify(entries)).success).toBe(true)
  })

  it('points oauth2-proxy and Grafana at the issuer and the endpoints, with PKCE, client ids as registered', () => {
    const [proxy] = blocks('toml')
    expect(proxy).toContain(`oidc_issuer_url = "${ISSUER}"`)
    expect(proxy).toContain('client_id = "oauth2-proxy"')
    expect(proxy).toContain('redirect_url = "https://app.example.com/oauth2/callback"')
    expect(proxy).toContain('code_challenge_method = "S256"')
    const [grafana] = blocks('ini')
    expect(grafana).toContain(`auth_url = ${ISSUER}${OIDC_PATHS.authorize}`)
    expect(grafana).toContain(`token_url = ${ISSUER}${OIDC_PATHS.token}`)
    expect(grafana).toContain(`api_url = ${ISSUER}${OIDC_PATHS.userinfo}`)
    expect(grafana).toContain('use_pkce = true')
    expect(section).toContain(`Certificate URL \`${ISSUER}${OIDC_PATHS.jwks}\``)
  })
})
