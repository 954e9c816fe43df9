// The layout stays easy to see: every folder of src/ opens with a README.md that names each of its files.
import { describe, expect, it } from 'vitest'

const sources = Object.keys(import.meta.glob('../src/**/*.ts'))
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
})
