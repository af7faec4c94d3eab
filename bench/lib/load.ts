/** Drives HTTP load with autocannon and keeps the figures the reports use. */
import autocannon from 'autocannon'
import { createHistogram } from 'node:perf_hooks'

export interface LoadRequest {
  readonly url: string
  readonly method?: 'GET' | 'POST'
  readonly headers?: Record<string, string>
  readonly body?: string
}

export interface LoadResult {
  /** Mean of the per-second request counts. */
  readonly rps: number
  /** Latency percentiles in milliseconds. */
  readonly p50: number
  readonly p99: number
  readonly requests: number
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
}

export function runLoad(request: LoadRequest, options: { duration: number; connections: number; pipelining: number }): Promise<LoadResult> {
  // autocannon's own latency histogram keeps whole milliseconds, too coarse for a local server:
  // record its per-response float durations in microseconds instead.
  const latency = createHistogram()
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { ...request, ...options, timeout: 10 },
      (error: unknown, result: autocannon.Result) => {
        clearTimeout(watchdog)
        if (error) return reject(error instanceof Error ? error : new Error(String(error)))
        resolve({
          rps: result.requests.average,
          p50: latency.count > 0 ? latency.percentile(50) / 1000 : Number.NaN,
          p99: latency.count > 0 ? latency.percentile(99) / 1000 : Number.NaN,
          requests: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
        })
      },
    )
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latency.record(Math.max(1, Math.round(ms * 1000))))
    // autocannon ends on its own after `duration`; this only bounds a wedged run.
    const watchdog = setTimeout(() => instance.stop(), (options.duration + 15) * 1000)
  })
}
