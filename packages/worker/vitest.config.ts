import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

/** Fixed test key (32 bytes, base64). Never used outside tests. */
export const TEST_ENCRYPTION_KEY = 'dGVzdC1rZXktMzItYnl0ZXMtZm9yLXBsZXgtYXV0aCE='

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: '../../wrangler.toml' },
      miniflare: {
        bindings: {
          TOKEN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
          PLEX_TV_URL: 'https://plex.tv',
          PLEX_SERVER_URL: 'https://192-168-1-10.0f3b8a61c2d94e7f8a1b2c3d4e5f6a7b.plex.direct:32400',
          ALLOWED_ORIGINS: 'https://app.example',
        },
      },
    }),
  ],
  resolve: { conditions: ['@plex-auth/source', 'workerd', 'worker', 'module', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@plex-auth/source', 'workerd', 'worker', 'module', 'import', 'default'] } },
  test: {
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    testTimeout: 10_000,
  },
})
