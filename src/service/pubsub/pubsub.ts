/**
 * Publish/subscribe with event ids, the contract both implementations keep (docs/scaling.md): the
 * in-memory one (embedded default) and Redis Streams (`wirerpc/redis`). Subscribers receive every
 * event of a topic published after they subscribed, in order, and can resume after an event id.
 *
 * @module
 */

/** One published event: its id (increasing within a topic) and its value. */
export interface PubSubEvent<T = unknown> {
  readonly id: string
  readonly value: T
}

export interface PubSubSubscribeOptions {
  /** Ends the subscription (the iterator returns). @default undefined */
  signal?: AbortSignal | undefined
  /**
   * Resume after this event: replay what the topic still holds after it, then go on live. When the
   * retention no longer covers it, the iterator throws a `ResyncRequiredError`. @default undefined (live events only)
   */
  lastEventId?: string | undefined
}

export interface PubSub {
  /** Publishes `value` (JSON) on `topic`; resolves with its event id. */
  publish(topic: string, value: unknown): Promise<string>
  /** Events of `topic`, from now (or after `lastEventId`) until the signal aborts. */
  subscribe<T = unknown>(topic: string, options?: PubSubSubscribeOptions): AsyncIterable<PubSubEvent<T>>
  /** Releases connections and timers. */
  close(): Promise<void>
}

const RESYNC = Symbol.for('wirerpc.resync-required')

/**
 * A subscription asked to resume after an event its topic no longer holds (retention exceeded, or
 * a restart of an in-memory server): events would be missing. A WebSocket subscription that throws
 * it ends with error `-32002` and `data: { lastEventId }`; the client must reload the state and
 * subscribe anew.
 */
export class ResyncRequiredError extends Error {
  readonly [RESYNC] = true
  readonly lastEventId: string

  constructor(topic: string, lastEventId: string) {
    super(`Resync required: topic "${topic}" no longer holds the events after "${lastEventId}"; reload the current state and subscribe again.`)
    this.name = 'ResyncRequiredError'
    this.lastEventId = lastEventId
  }

  /** True for a `ResyncRequiredError`, even from another copy of the package. Never throws. */
  static is(error: unknown): error is ResyncRequiredError {
    try {
      return typeof error === 'object' && error !== null && (error as { [RESYNC]?: unknown })[RESYNC] === true
    } catch {
      // A revoked Proxy, or a Proxy whose `get` throws.
      return false
    }
  }
}

/**
 * An item of a subscription with the event id it came from: `yield tracked(event.id, event.value)`.
 * The client remembers the last id and resumes from it after a reconnect (`ctx.lastEventId`).
 */
export interface Tracked<T> {
  readonly '~wirerpc.tracked': true
  readonly id: string
  readonly value: T
}

export function tracked<T>(id: string, value: T): Tracked<T> {
  return { '~wirerpc.tracked': true, id, value }
}

/** @internal */
export function isTracked(value: unknown): value is Tracked<unknown> {
  return typeof value === 'object' && value !== null && (value as { '~wirerpc.tracked'?: unknown })['~wirerpc.tracked'] === true
}
