import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

// Runs the conformance suite inside workerd: the core must work on Cloudflare Workers as it is.
export default defineConfig({
  plugins: [
    cloudflareTest({
      main: './test/conformance/worker-entry.ts',
      miniflare: { compatibilityDate: '2026-04-20' },
    }),
  ],
  resolve: { conditions: ['@plex-auth/source'] },
  test: { include: ['test/conformance/workerd.test.ts'] },
})
