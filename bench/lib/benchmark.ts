/** The shape every benchmark module exports, so `bench/index.ts` can run them as a list. */
import type { BenchConfig } from './config.js'

export interface BenchmarkReport {
  /** Printed to stdout. */
  readonly table: string
  /** Written to `bench/results/<name>.json`, next to the machine and the config. */
  readonly results: unknown
}

export interface Benchmark {
  /** Short and file-name safe: `http`, later `ws-request`, … */
  readonly name: string
  readonly title: string
  run(config: BenchConfig): Promise<BenchmarkReport>
}
