// A tiny in-process publish/subscribe: every subscriber gets every value published after it
// subscribed, through an async generator that ends when its signal aborts. (The PubSub of
// wirerpc/service, with Redis for several processes, replaces this in a later version.)

/** Most values a subscriber that does not keep up holds before the oldest are dropped. */
const MAX_QUEUED = 1000

export class Hub<T> {
  readonly #subscribers = new Set<(value: T) => void>()

  publish(value: T): void {
    for (const deliver of this.#subscribers) deliver(value)
  }

  /**
   * Subscribes now (values published from this call on are kept, even before the first `next()`)
   * until `signal` aborts.
   */
  subscribe(signal: AbortSignal): AsyncGenerator<T, void> {
    const queue: T[] = []
    let wake: (() => void) | undefined
    const deliver = (value: T) => {
      if (queue.push(value) > MAX_QUEUED) queue.shift()
      wake?.()
    }
    const stop = () => {
      this.#subscribers.delete(deliver)
      signal.removeEventListener('abort', stop)
      wake?.()
    }
    this.#subscribers.add(deliver)
    signal.addEventListener('abort', stop)
    if (signal.aborted) stop()
    return (async function* () {
      try {
        while (!signal.aborted) {
          if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve))
          wake = undefined
          while (queue.length > 0 && !signal.aborted) yield queue.shift()!
        }
      } finally {
        stop()
      }
    })()
  }
}
