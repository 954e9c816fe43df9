import { describe, expect, it } from 'vitest'
import readme from '../../../README.md?raw'
import { ConfigSchema } from '../src/config.ts'

/** The rows of the README's "### Configuration" table, by the setting each names. */
function configurationTable(markdown: string): Map<string, string> {
  const section = markdown.split(/^### Configuration$/m)[1]?.split(/^#{2,3} /m)[0] ?? ''
  const rows = new Map<string, string>()
  for (const line of section.split('\n')) {
    const name = /^\| `([A-Z0-9_]+)` \|/.exec(line)?.[1]
    if (name) rows.set(name, line)
  }
  return rows
}

describe('README', () => {
  it('documents every setting the configuration schema reads, and nothing it does not', () => {
    const documented = configurationTable(readme)
    const read = Object.keys(ConfigSchema.entries)
    expect(read.filter((name) => !documented.has(name))).toEqual([])
    const retired = [...documented].filter(([, row]) => row.includes('| retired |')).map(([name]) => name)
    expect([...documented.keys()].filter((name) => !read.includes(name) && !retired.includes(name))).toEqual(
      [],
    )
  })
})
