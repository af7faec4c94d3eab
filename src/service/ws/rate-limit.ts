/**
 * `maxMessageRate`: a token bucket per connection. Each message takes a token; tokens come back at
 * `rate` a second, up to a burst of twice that. Over the limit, requests are refused (429) and
 * notifications dropped; a client that goes on to a second burst's worth of debt is closed (1008).
 *
 * @module
 */

import type { ErrorObject } from '../../protocol/ws.js'

export type RateVerdict = 'ok' | 'over' | 'close'

export class RateLimit {
  readonly #rate: number
  readonly #burst: number
  #tokens: number
  #last = Date.now()

  /** `rate`: messages per second. */
  constructor(rate: number) {
    this.#rate = rate
    this.#burst = 2 * rate
    this.#tokens = this.#burst
  }

  /** Takes `count` tokens and says whether the messages may run. */
  take(count: number): RateVerdict {
    const now = Date.now()
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000)
    this.#last = now
    this.#tokens -= count
    if (this.#tokens >= 0) return 'ok'
    return this.#tokens < -this.#burst ? 'close' : 'over'
  }

  /** The 429 that answers a request over the rate. */
  refusal(): ErrorObject {
    return {
      code: 429,
      message: `Too many messages: over ${this.#rate} per second on this connection (maxMessageRate); retry after the delay in data.retryAfter.`,
      data: { retryAfter: this.retryAfter },
    }
  }

  /** Seconds until the bucket holds a token again. */
  get retryAfter(): number {
    return Math.max(0, Math.ceil(((1 - this.#tokens) / this.#rate) * 1000) / 1000)
  }
}
