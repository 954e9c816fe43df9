export async function runWorkerBenchmarks(): Promise<void> {}
