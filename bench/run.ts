// `npm run bench`: every benchmark of the project, printed as tables with ratios. Figures in README.md.
// Usage: npm run bench [-- core] [-- worker]
import { measureCoreSpeed } from './core-speed.ts'
import { measureSizes } from './size.ts'

const only = process.argv.slice(2)
const wanted = (name: string): boolean => only.length === 0 || only.includes(name)
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`

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
  const speed = await measureCoreSpeed()
  const bare = speed[0]!
  console.log('| candidate | per call | calls/s | time vs bare fetch |')
  console.log('| --- | ---: | ---: | ---: |')
  for (const row of speed) {
    console.log(
      `| ${row.name} | ${row.medianMicros.toFixed(1)} µs | ${Math.round(row.opsPerSecond)} | ${(row.medianMicros / bare.medianMicros).toFixed(2)}x |`,
    )
  }

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
