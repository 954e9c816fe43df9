import { defineConfig } from 'vitest/config'

// Cross-package tests: they start the worker the way `npm run demo` does (wrangler dev + the fake
// Plex on loopback) and drive it over HTTP, from Node and from a headless Chromium.
export default defineConfig({
  resolve: { conditions: ['@plex-auth/source'] },
  test: {
    include: ['**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One demo stack per file is enough; files share the machine's two cores.
    fileParallelism: false,
  },
})
