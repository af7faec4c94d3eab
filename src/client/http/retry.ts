/**
 * When to retry a failed attempt, and how long to wait first.
 *
 * @module
 */
import { HTTPError, NetworkError, TimeoutError, type ClientError } from '../errors.js'
import type { RetryOptions } from '../options.js'

/** Statuses whose `Retry-After` header is honoured instead of the backoff (RFC 9110 §10.2.3). */
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([413, 429, 503])

/** Base of the exponential backoff, in seconds. */
const BACKOFF_BASE = 0.3

/**
 * Seconds to wait before retry number `retryCount + 1`, or `undefined` when the error must not be
 * retried.
 */
export function retryDelay(error: ClientError, method: string, retryCount: number, policy: Readonly<Required<RetryOptions>>): number | undefined {
  if (retryCount >= policy.limit || !policy.methods.includes(method)) return undefined
  if (error instanceof HTTPError) {
    if (!policy.statusCodes.includes(error.status)) return undefined
    if (RETRY_AFTER_STATUSES.has(error.status)) {
      const after = parseRetryAfter(error.response.headers.get('retry-after'))
      if (after !== undefined) return after <= policy.maxRetryAfter ? after : undefined
    }
  } else if (!(error instanceof NetworkError || error instanceof TimeoutError)) {
    return undefined
  }
  // "Full jitter": spreads the retries of many clients that failed at the same moment.
  return fullJitter(BACKOFF_BASE, policy.backoffLimit, retryCount)
}

/** `Retry-After` as seconds from now: delay-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed)
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, (date - Date.now()) / 1000)
}

/**
 * Seconds to wait before attempt `attempt + 1`: a random time between 0 and
 * `min(cap, base * 2 ** attempt)` ("full jitter": clients that failed together do not retry together).
 */
export function fullJitter(base: number, cap: number, attempt: number): number {
  return Math.random() * Math.min(cap, base * 2 ** Math.min(attempt, 30))
}

/** Longest delay `setTimeout` honours (about 24.8 days); longer ones would fire at once. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1

/** `seconds` as a `setTimeout` delay in ms, capped at `MAX_TIMER_DELAY`. */
export function timerDelay(seconds: number): number {
  return Math.min(seconds * 1000, MAX_TIMER_DELAY)
}

/** Resolves after `seconds`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(seconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, timerDelay(seconds))
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
