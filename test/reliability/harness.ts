// Shared by the reliability suite (docs/reliability.md): how big to run, and where each test's
// figures go. `npm test` runs the short version; `npm run test:reliability` sets
// RELIABILITY=full, runs every test at full size, and regenerates docs/reliability.md from the
// figures the tests record (test/reliability/report.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** `full` under `npm run test:reliability`, else `short` (inside `npm test`). */
export const MODE: 'short' | 'full' = process.env['RELIABILITY'] === 'full' ? 'full' : 'short'

/** Picks the short or the full size of a load. */
export function size<T>(short: T, full: T): T {
  return MODE === 'full' ? full : short
}

/** One row of docs/reliability.md. */
export interface Figure {
  /** The section of docs/reliability.md: `malformed traffic`, `limits`, `faults`, `slow consumers`, `churn`, `shutdown`. */
  section: string
  /** What was tested, in a few words. */
  test: string
  /** The load: counts, rates, durations, as run. */
  load: string
  /** What was measured against what was required: `0 crashes, 50/50 canaries answered`. */
  result: string
}

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url))

/**
 * Records the figures of one test file, for the report. Written in both modes, to
 * test/reliability/results/<mode>/<file>.json (gitignored); only the full run's figures reach docs.
 */
export function record(file: string, figures: readonly Figure[]): void {
  const dir = `${RESULTS_DIR}${MODE}/`
  mkdirSync(dir, { recursive: true })
  let existing: Figure[] = []
  try {
    existing = JSON.parse(readFileSync(`${dir}${file}.json`, 'utf8')) as Figure[]
  } catch {
    // First figures of this file in this run.
  }
  const merged = [...existing.filter((old) => !figures.some((figure) => figure.section === old.section && figure.test === old.test)), ...figures]
  writeFileSync(`${dir}${file}.json`, JSON.stringify(merged, null, 2) + '\n')
}

/** Median of numbers (NaN for none). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The p-th percentile (0–100) of numbers. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}
