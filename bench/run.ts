// `npm run bench`: every benchmark of the project, printed as tables with ratios. Figures in README.md.
// Usage: npm run bench [-- core] [-- worker]
import { measureCoreSpeed } from './core-speed.ts'
import { measureSizes } from './size.ts'
import { kb, printTimings } from './timing.ts'

const only = process.argv.slice(2)
const wanted = (name: string): boolean => only.length === 0 || only.includes(name)

if (wanted('core')) {
  console.log('\n## Bundle size (esbuild, minified, browser ESM; gzip -9)\n')
  const sizes = await measureSizes()
  const ours = sizes[0]!
  console.log('| bundle | minified | gzipped | gzipped vs core (four operations) |')
  console.log('| --- | ---: | ---: | ---: |')
  for (const row of sizes) {
    console.log(
      `| ${row.name} | ${kb(row.minified)} | ${kb(row.gzipped)} | ${(row.gzipped / ours.gzipped).toFixed(1)}x |`,
    )
  }

  console.log(
    '\n## getTokenDetails per call, in-process stub (median of 31 interleaved rounds of 1000 calls each, after 5000 warm-up calls)\n',
  )
  printTimings(await measureCoreSpeed(), 'time vs bare fetch')

  const { runCoreJwtBenchmarks } = await import('./core-jwt.ts')
  await runCoreJwtBenchmarks()
}

if (wanted('cli')) {
  const { runCliBenchmarks } = await import('./cli.ts')
  await runCliBenchmarks()
}

if (wanted('worker')) {
  const { runWorkerBenchmarks } = await import('./worker.ts')
  await runWorkerBenchmarks()
}
