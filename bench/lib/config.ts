/** Benchmark settings, read once from the environment (docs/benchmarks.md lists the knobs). */

export interface BenchConfig {
  /** Seconds of measured load per round (`BENCH_DURATION`). */
  readonly duration: number
  /** Measured rounds per target (`BENCH_ROUNDS`); targets alternate round by round. */
  readonly rounds: number
  /** Seconds of unmeasured load per target and case before the rounds (`BENCH_WARMUP`). */
  readonly warmup: number
  /** Concurrent connections of the load generator (`BENCH_CONNECTIONS`). */
  readonly connections: number
  /** Requests in flight per connection (`BENCH_PIPELINING`). */
  readonly pipelining: number
}

/** A positive whole number from the environment variable `name`, or `fallback` when it is unset. */
export function positiveInteger(name: string, fallback: number): number {
  return positive(name, fallback, true)
}

function positive(name: string, fallback: number, integer: boolean): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name}=${raw}: expected a positive ${integer ? 'integer' : 'number'}.`)
  }
  return value
}

export function readConfig(): BenchConfig {
  return {
    duration: positive('BENCH_DURATION', 5, false),
    rounds: positive('BENCH_ROUNDS', 3, true),
    warmup: positive('BENCH_WARMUP', 2, false),
    connections: positive('BENCH_CONNECTIONS', 10, true),
    pipelining: positive('BENCH_PIPELINING', 1, true),
  }
}
