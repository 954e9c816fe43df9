import { defineConfig } from 'vitest/config'

// End-to-end tests of the built binary (dist/cli.js, rebuilt by test/global-setup.ts) against the fake
// Plex on loopback, under Node, Deno and Bun; interactive flows run in a pseudo-terminal (util-linux
// `script`). A few unit tests import src/ directly.
export default defineConfig({
  resolve: { conditions: ['@plex-auth/source'] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
