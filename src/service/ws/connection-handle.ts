/**
 * `ctx.connection`: what a handler keeps of its connection to push to it later and to join it to
 * broadcast topics (docs/websocket.md, "Server push").
 *
 * @module
 */
import type { PushEvent, PushMember, PushTopics } from './push.js'
import { pushFrame } from './push.js'

export interface WsConnection {
  /** Connection id, unique within the server process (the same as `ctx.id`). */
  readonly id: string
  /** False once the connection closed: pushes go nowhere, joins do nothing. */
  readonly open: boolean
  /**
   * Sends `event` with `value` to this connection, now (`$/push`). Returns false when it was not
   * sent: the connection is closed, or more than `highWaterMark` bytes wait to be sent to it
   * (pushes are not flow-controlled; a client that far behind loses them).
   */
  push<T>(event: PushEvent<T>, value: T): boolean
  /**
   * Joins `topic`: the connection receives every `event.publish(pubsub, topic, value)` from any
   * instance until it leaves or closes. Returns the function that leaves it (`ctx.defer(ctx.connection.join(topic))`
   * ties the membership to the call). Joining twice is joining once. Not kept across reconnects.
   */
  join(topic: string): () => void
  /** Leaves `topic` (nothing happens when it had not joined). */
  leave(topic: string): void
  /** Calls `listener` once, when the connection closes; returns the function that removes it. */
  onClose(listener: () => void): () => void
}

/** Where a handle's frames go: the connection's socket. */
export interface PushSink {
  send(text: string | Uint8Array, mergeable: boolean): void
  readonly bufferedAmount: number
}

/** @internal One per connection, created on first use of `ctx.connection`. */
export class ConnectionHandle implements WsConnection, PushMember {
  private isOpen = true
  private readonly joined = new Set<string>()
  private readonly closeListeners = new Set<() => void>()
  /** Pushes not sent because the connection was behind. */
  dropped = 0

  constructor(
    readonly id: string,
    private readonly sink: PushSink,
    private readonly highWaterMark: number,
    private readonly topics: PushTopics,
    private readonly report: (error: unknown) => void,
  ) {}

  get open(): boolean {
    return this.isOpen
  }

  push<T>(event: PushEvent<T>, value: T): boolean {
    if (!this.isOpen) return false
    return this.send(pushFrame(event.name, value, undefined))
  }

  join(topic: string): () => void {
    if (typeof topic !== 'string') throw new TypeError(`ctx.connection.join(topic): the topic must be a string, got ${typeof topic}.`)
    if (this.isOpen && !this.joined.has(topic)) {
      this.joined.add(topic)
      this.topics.join(topic, this)
    }
    return () => this.leave(topic)
  }

  leave(topic: string): void {
    if (this.joined.delete(topic)) this.topics.leave(topic, this)
  }

  onClose(listener: () => void): () => void {
    if (!this.isOpen) {
      queueMicrotask(() => this.call(listener))
      return () => {}
    }
    this.closeListeners.add(listener)
    return () => void this.closeListeners.delete(listener)
  }

  deliver(frame: Uint8Array): void {
    if (this.isOpen) this.send(frame)
  }

  /** The connection closed: leave every topic, tell the listeners. */
  closed(): void {
    if (!this.isOpen) return
    this.isOpen = false
    for (const topic of this.joined) this.topics.leave(topic, this)
    this.joined.clear()
    for (const listener of this.closeListeners) this.call(listener)
    this.closeListeners.clear()
  }

  private send(frame: string | Uint8Array): boolean {
    if (this.sink.bufferedAmount > this.highWaterMark) {
      this.dropped++
      return false
    }
    this.sink.send(frame, true)
    return true
  }

  private call(listener: () => void): void {
    try {
      listener()
    } catch (error) {
      this.report(error)
    }
  }
}
