// A small timing harness: candidates are measured in interleaved rounds in one process so that the
// machine's noise hits all of them alike; we report the median per-call time and ratios between them.

export interface Candidate {
  name: string
  run: () => Promise<unknown>
}

export interface TimingRow {
  name: string
  medianMicros: number
  opsPerSecond: number
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Runs every candidate `rounds` times for `callsPerRound` calls each, interleaved, after a warm-up. */
export async function compare(
  candidates: Candidate[],
  { rounds = 31, callsPerRound = 1000, warmupCalls = 5000 } = {},
): Promise<TimingRow[]> {
  for (const c of candidates) for (let i = 0; i < warmupCalls; i++) await c.run()
  const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]))
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no candidate always runs right after another's garbage.
    const order = candidates.map((_, i) => candidates[(i + round) % candidates.length]!)
    for (const c of order) {
      const start = performance.now()
      for (let i = 0; i < callsPerRound; i++) await c.run()
      samples.get(c.name)!.push(((performance.now() - start) * 1000) / callsPerRound)
    }
  }
  return candidates.map((c) => {
    const micros = median(samples.get(c.name)!)
    return { name: c.name, medianMicros: micros, opsPerSecond: 1e6 / micros }
  })
}

/** Bytes as kilobytes with one decimal, as every size table prints them. */
export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`

/** Prints timing rows as a Markdown table, each row's time as a ratio to the first row's. */
export function printTimings(rows: TimingRow[], ratioHeading: string): void {
  const first = rows[0]!
  console.log(`| candidate | per call | calls/s | ${ratioHeading} |`)
  console.log('| --- | ---: | ---: | ---: |')
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${row.medianMicros.toFixed(1)} µs | ${Math.round(row.opsPerSecond)} | ${(row.medianMicros / first.medianMicros).toFixed(2)}x |`,
    )
  }
}
