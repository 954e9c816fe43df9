// The layout stays easy to see: every folder of src/ opens with a README.md that names each of its files.
import { describe, expect, it } from 'vitest'

const sources = Object.keys(import.meta.glob('../src/**/*.ts'))
/** The documents that name the worker's files: the repository's and the package's markdown, wrangler.toml. */
const documents = import.meta.glob<string>(
  ['../../../*.md', '../../../docs/**/*.md', '../*.md', '../src/*/README.md', '../../../wrangler.toml'],
  { query: '?raw', import: 'default', eager: true },
)
const readmes = import.meta.glob<string>('../src/*/README.md', {
  query: '?raw',
  import: 'default',
  eager: true,
})

/** src/'s folders, each with the files directly in it. */
function folders(): Map<string, string[]> {
  const byFolder = new Map<string, string[]>()
  for (const path of sources) {
    const [, folder, file] = /^\.\.\/src\/([^/]+)\/([^/]+)$/.exec(path) ?? []
    if (folder && file) byFolder.set(folder, [...(byFolder.get(folder) ?? []), file])
  }
  return byFolder
}

describe('src/ layout', () => {
  it('has the folders by concern, and only a few files at the top', () => {
    expect([...folders().keys()].sort()).toEqual([
      'access',
      'client',
      'http',
      'oidc',
      'plex',
      'routes',
      'sessions',
    ])
    const top = sources.filter((path) => /^\.\.\/src\/[^/]+$/.test(path)).map((path) => path.slice(7))
    expect(top.sort()).toEqual(['app.ts', 'config.ts', 'env.ts', 'index.ts', 'scheduled.ts'])
  })

  for (const [folder, files] of folders()) {
    it(`${folder}/README.md names every file in ${folder}/`, () => {
      const readme = readmes[`../src/${folder}/README.md`]
      expect(readme, `${folder}/README.md is missing`).toBeTypeOf('string')
      // routes/ is the exception: one file per route, and its index.ts lists them all.
      const named = folder === 'routes' ? ['index.ts', 'route-docs.ts'] : files
      expect(named.filter((file) => !readme?.includes(`\`${file}\``))).toEqual([])
    })
  }

  it('every path a document gives for a worker source file names one that exists', () => {
    const folders = 'app|config|env|index|scheduled|http|routes|sessions|plex|access|oidc|client'
    // `packages/worker/src/x`, `src/x` in the package's own documents, and `oidc/keys.ts`-style names.
    const patterns = [
      /packages\/worker\/src\/([\w./-]+\.ts)\b/g,
      new RegExp(`(?<![\\w./-])((?:${folders})/[\\w-]+\\.ts)\\b`, 'g'),
    ]
    const named: string[] = []
    const missing: string[] = []
    for (const [document, text] of Object.entries(documents)) {
      const own = document.startsWith('../') && !document.startsWith('../../')
      const found = patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((match) => match[1]!))
      if (own) found.push(...[...text.matchAll(/(?<![\w./-])src\/([\w./-]+\.ts)\b/g)].map((m) => m[1]!))
      for (const path of found) {
        named.push(path)
        if (!sources.includes(`../src/${path}`)) missing.push(`${document}: ${path}`)
      }
    }
    expect(Object.keys(documents)).toEqual(expect.arrayContaining(['../../../README.md', '../README.md']))
    expect(named.length, 'the check reads some paths').toBeGreaterThan(20)
    expect(missing).toEqual([])
  })
})
