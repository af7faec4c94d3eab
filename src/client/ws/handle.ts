/**
 * `connectionOf(client)`: the state of a client's WebSocket connection, for UIs that show
 * "reconnecting…", and a way to close it. A function rather than a client property, so that it can
 * never collide with a route's name.
 *
 * @module
 */
import type { MergedOptions } from '../options.js'
import { Connection, type ConnectionState, type StateListener } from './connection.js'

/** The WebSocket connection of a client (shared with the clients `extend()` made from it when their connection options are the same). */
export interface WsConnection {
  /** `idle`, `connecting`, `open`, `reconnecting` or `closed` (docs/client.md, "Connection state"). */
  readonly state: ConnectionState
  /** Requests waiting for their answer, subscriptions open, and notifications not yet written. */
  readonly pending: number
  /** Calls `listener(state, previous)` on every change; returns a function that removes it. */
  onStateChange(listener: StateListener): () => void
  /**
   * Closes the socket now: calls in flight reject with a `NetworkError`, subscriptions end with
   * one. The next call opens a new connection. Call it when done, or a Node process stays alive.
   */
  close(): void
}

/** @internal Where a client keeps its connection; created on the first WebSocket call. */
export class ConnectionSlot {
  #connection: Connection | undefined
  #handle: WsConnection | undefined

  constructor(readonly options: MergedOptions) {}

  get connection(): Connection {
    return (this.#connection ??= new Connection(this.options))
  }

  get handle(): WsConnection {
    const current = () => this.#connection
    const open = () => this.connection
    return (this.#handle ??= {
      get state() {
        return current()?.state ?? 'idle'
      },
      get pending() {
        return current()?.pending ?? 0
      },
      onStateChange: (listener) => open().onStateChange(listener),
      close: () => current()?.close(),
    })
  }

  /** The slot a client `extend()`ed with `options` uses: this one unless a connection option differs. */
  derive(options: MergedOptions): ConnectionSlot {
    return sameConnectionOptions(this.options, options) ? this : new ConnectionSlot(options)
  }
}

function sameConnectionOptions(a: MergedOptions, b: MergedOptions): boolean {
  return (
    String(a.prefixUrl) === String(b.prefixUrl) &&
    a.headers.length === b.headers.length &&
    a.headers.every((layer, index) => layer === b.headers[index]) &&
    a.retry.backoffLimit === b.retry.backoffLimit &&
    a.ws.wsPingInterval === b.ws.wsPingInterval &&
    a.ws.wsPongTimeout === b.ws.wsPongTimeout &&
    a.ws.wsIdleTimeout === b.ws.wsIdleTimeout &&
    a.ws.wsParams === b.ws.wsParams &&
    a.ws.WebSocket === b.ws.WebSocket
  )
}

const SLOT = Symbol.for('wirerpc.connection')

/** @internal Stores the slot on a client object. */
export function attachSlot(client: Record<PropertyKey, unknown>, slot: ConnectionSlot): void {
  Object.defineProperty(client, SLOT, { value: slot })
}

/**
 * The WebSocket connection of `client`: its state, state changes, and `close()`.
 *
 * ```ts
 * const connection = connectionOf(client)
 * connection.onStateChange((state) => (banner.hidden = state !== 'reconnecting'))
 * ```
 */
export function connectionOf(client: object): WsConnection {
  const slot = (client as Record<PropertyKey, unknown>)[SLOT]
  if (!(slot instanceof ConnectionSlot)) throw new TypeError('connectionOf() takes a client made by defineClient().')
  return slot.handle
}
