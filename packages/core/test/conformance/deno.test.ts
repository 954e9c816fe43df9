// The conformance suite under Deno: `deno test packages/core/test/conformance/deno.test.ts`.
import { cases } from './suite.ts'

declare const Deno: { test: (name: string, fn: () => Promise<void>) => void }

for (const testCase of cases) Deno.test(testCase.name, testCase.run)
