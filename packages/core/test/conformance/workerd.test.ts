// The conformance suite inside workerd (the Cloudflare Workers runtime), through the Cloudflare vitest plugin.
import { it } from 'vitest'
import { cases } from './suite.ts'

for (const testCase of cases) it(testCase.name, testCase.run)
