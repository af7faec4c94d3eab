/**
 * Server push on the client: `client.<event>.on(listener)` for the `$/push` messages of one push
 * event (docs/client.md, "Server push").
 *
 * @module
 */
import type { ClientPushEvent } from '../../protocol/manifest.js'

/** What a listener learns besides the value. */
export interface PushInfo {
  /** The topic the event was broadcast to, or `undefined` when it was pushed to this connection only. */
  readonly topic: string | undefined
}

export type PushListener<T> = (value: T, info: PushInfo) => void

/** The client entry of a push event that a route module declares with `pushEvent<T>(name)`. */
export interface PushSource<T> {
  /**
   * Calls `listener(value, info)` for every push of this event the server sends on the client's
   * WebSocket connection; returns the function that removes it. Listening does not open the
   * connection (a call does): the server pushes to connections its handlers know of.
   */
  on(listener: PushListener<T>): () => void
}

const DIRECT: PushInfo = Object.freeze({ topic: undefined })

/** Topics whose info objects are kept (a bound: topics may be per user). */
const MAX_CACHED_TOPICS = 1000

/** @internal The listeners of a connection, by event name. */
export class PushListeners {
  readonly #byEvent = new Map<string, Set<PushListener<unknown>>>()

  on(event: string, listener: PushListener<unknown>): () => void {
    if (typeof listener !== 'function') throw new TypeError(`on(listener): the listener of push event "${event}" must be a function, got ${typeof listener}.`)
    let listeners = this.#byEvent.get(event)
    if (!listeners) this.#byEvent.set(event, (listeners = new Set()))
    // A wrapper per registration, so that the same function registered twice is called twice and removed once per off().
    const entry: PushListener<unknown> = (value, info) => listener(value, info)
    listeners.add(entry)
    return () => {
      listeners.delete(entry)
      if (listeners.size === 0 && this.#byEvent.get(event) === listeners) this.#byEvent.delete(event)
    }
  }

  /** A `$/push` arrived: call its event's listeners; one that throws does not stop the others. */
  dispatch(params: unknown): void {
    if (typeof params !== 'object' || params === null) return
    const { event, value, topic } = params as { event?: unknown; value?: unknown; topic?: unknown }
    const listeners = typeof event === 'string' ? this.#byEvent.get(event) : undefined
    if (!listeners) return
    const info = typeof topic === 'string' ? this.#infoOf(topic) : DIRECT
    // One listener (the common case): no copy of the set per message.
    if (listeners.size === 1) for (const listener of listeners) this.#call(listener, event as string, value, info)
    else for (const listener of [...listeners]) this.#call(listener, event as string, value, info)
  }

  /** One frozen info object per topic, rather than one per message. */
  readonly #infos = new Map<string, PushInfo>()
  #infoOf(topic: string): PushInfo {
    let info = this.#infos.get(topic)
    if (!info) {
      if (this.#infos.size >= MAX_CACHED_TOPICS) this.#infos.clear()
      this.#infos.set(topic, (info = Object.freeze({ topic })))
    }
    return info
  }

  #call(listener: PushListener<unknown>, event: string, value: unknown, info: PushInfo): void {
    try {
      listener(value, info)
    } catch (error) {
      console.error(`[wirerpc] a listener of push event "${event}" threw:`, error)
    }
  }
}

/** @internal The object the client exposes for a push event. */
export function createPushSource(entry: ClientPushEvent, listeners: () => PushListeners): PushSource<unknown> {
  return Object.freeze({ on: (listener: PushListener<unknown>) => listeners().on(entry.name, listener) })
}
