import { it } from 'vitest'
import { cases } from './suite.ts'

for (const testCase of cases) it(testCase.name, testCase.run)
