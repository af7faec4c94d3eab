/**
 * One subscriber's bounded queue of events and the async iterator that drains it, shared by the
 * in-memory PubSub (memory.ts) and the Redis one (src/redis), so that both bound, order and end
 * their subscriptions alike.
 *
 * @module
 */
import type { PubSubEvent } from './pubsub.js'

/** Most events a slow subscriber may have queued before its oldest are dropped. */
export const MAX_QUEUED = 10_000

/** @internal A subscriber's queue: filled by the PubSub, drained by the subscriber's iterator. */
export class EventQueue {
  readonly #events: PubSubEvent[] = []
  #wake: (() => void) | undefined
  #error: unknown
  #ended = false

  /** Whether `end` was called: nothing more is queued, the iterator stops once it has drained the rest. */
  get ended(): boolean {
    return this.#ended
  }

  /** Queues `event` (ignored once ended); past `MAX_QUEUED` the oldest is dropped, so a stalled subscriber cannot exhaust memory. */
  push(event: PubSubEvent): void {
    if (this.#ended) return
    if (this.#events.push(event) > MAX_QUEUED) this.#events.shift()
    this.#wake?.()
  }

  /** Queues `events` ahead of the others, whole: a replay is delivered before live events and is not cut by the bound. */
  prepend(events: readonly PubSubEvent[]): void {
    this.#events.unshift(...events)
    this.#wake?.()
  }

  /** Ends the queue: the iterator yields what is queued, then throws `error` if there is one. Only the first call counts. */
  end(error?: unknown): void {
    if (this.#ended) return
    this.#ended = true
    this.#error = error
    this.#wake?.()
  }

  /**
   * Yields the queued events in order until the queue ends (then rethrows its error) or `signal`
   * aborts (then returns quietly). `started` is awaited first; `onEnd` runs however it ends. The
   * PubSubs return this generator itself: no wrapping generator, one hop less per event.
   */
  async *drain<T>(signal: AbortSignal | undefined, { started, onEnd }: { started?: Promise<unknown>; onEnd?: () => void } = {}): AsyncGenerator<PubSubEvent<T>, void, undefined> {
    try {
      if (started) await started
      while (!signal?.aborted) {
        if (this.#events.length === 0) {
          if (this.#ended) break
          // Whoever queues or ends wakes us; so does an abort, through the PubSub's `end()` on it.
          await new Promise<void>((resolve) => (this.#wake = resolve))
          this.#wake = undefined
          continue
        }
        yield this.#events.shift() as PubSubEvent<T>
      }
      if (this.#error !== undefined && !signal?.aborted) throw this.#error
    } finally {
      onEnd?.()
    }
  }
}
