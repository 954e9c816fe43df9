// The conformance suite under Bun: `bun test packages/core/test/conformance/bun.test.ts`.
// @ts-expect-error bun:test has no types here (we do not install @types/bun); Bun provides it at run time.
import { test } from 'bun:test'
import { cases } from './suite.ts'

for (const testCase of cases) test(testCase.name, testCase.run)
