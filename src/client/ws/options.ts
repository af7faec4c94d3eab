/**
 * The WebSocket options of `defineClient` and `client.extend` (docs/client.md, "WebSocket
 * options"), and the options of one WebSocket call. Durations are in seconds.
 *
 * @module
 */

type Promisable<T> = T | Promise<T>

/** Query parameters added to the WebSocket URL on every connection attempt. */
export type WsParams = Record<string, string> | (() => Promisable<Record<string, string>>)

/** A WebSocket constructor with the browser API: the native one, or `ws`'s `WebSocket`. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[] | object) => WebSocket

export interface WsClientOptions {
  /**
   * Seconds of silence from the server after which the client sends `$/ping`; 0 disables pings
   * (a dead connection is then noticed only by the operating system, which can take minutes).
   * @default 20
   */
  wsPingInterval?: number
  /**
   * Seconds the client waits for an answer to `$/ping`, and for the opening handshake, before it
   * treats the connection as dead, drops it and reconnects.
   * @default 10
   */
  wsPongTimeout?: number
  /**
   * Seconds the connection may stay open with no call in flight and no subscription open before
   * the client closes it (the next call opens it again); 0 keeps it open.
   * @default 0
   */
  wsIdleTimeout?: number
  /**
   * Flow control: how many items a subscription may have in flight and unread (`$/credit`,
   * docs/protocol.md). The client grants this window when it subscribes and more as the consumer
   * reads, so the server pauses a generator whose consumer is this far behind, and a consumer
   * that stops reading holds at most this many items in memory. A server that sends more anyway
   * ends the subscription with a `BufferOverflowError`.
   * @default 1000
   */
  wsWindow?: number
  /**
   * Query parameters for the WebSocket URL, or a function returning them (called on every
   * connection attempt, so it can read a fresh token). Browsers cannot send headers with a
   * WebSocket upgrade: this is how a browser client authenticates when cookies do not suffice.
   * Values end up in server and proxy logs that record URLs: prefer short-lived tokens.
   * @default undefined
   */
  wsParams?: WsParams
  /**
   * The WebSocket constructor. By default the global `WebSocket` (browsers, Node 22+), else the
   * `ws` package (Node 20), loaded only when needed.
   * @default globalThis.WebSocket ?? (await import('ws')).WebSocket
   */
  WebSocket?: WebSocketConstructor
}

/** Options of one WebSocket notification or subscription (its last argument). */
export interface WsCallOptions {
  /** Aborts the call: a subscription is cancelled (`$/cancel`), a queued notification dropped. @default undefined */
  signal?: AbortSignal
}

/** Options of one WebSocket subscription (its last argument). */
export interface WsSubscribeOptions extends WsCallOptions {
  /** This subscription's flow-control window, in items. @default the client's `wsWindow` (1000) */
  window?: number
  /**
   * Drop items rather than pause the server's generator when the consumer falls a window behind
   * (for live values where only the latest matters); `subscription.dropped` counts them.
   * @default false
   */
  lossy?: boolean
}

/** Options of one WebSocket request (its last argument). */
export interface WsRequestOptions extends WsCallOptions {
  /**
   * Seconds to wait for the answer, from the call (connecting included); then the call rejects
   * with a `TimeoutError` and the server is sent `$/cancel`. `false` waits forever.
   * @default the client's `timeout` (60)
   */
  timeout?: number | false
  /**
   * The route may safely run twice: when the connection drops after the request was sent, it is
   * sent again after reconnecting (within `retry.limit`) rather than rejected with a
   * `NetworkError`. Requests that never left the client are always sent after reconnecting.
   * @default false
   */
  idempotent?: boolean
}

export const WS_DEFAULTS = Object.freeze({
  wsPingInterval: 20,
  wsPongTimeout: 10,
  wsIdleTimeout: 0,
  wsWindow: 1000,
})

/** Throws a `TypeError` naming the option when a WebSocket option is invalid. */
export function checkWsOptions(options: WsClientOptions): void {
  for (const key of ['wsPingInterval', 'wsIdleTimeout'] as const) {
    const value = options[key]
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
      throw new TypeError(`Invalid \`${key}\` ${String(value)}: pass a number of seconds (0 disables it).`)
    }
  }
  const pong = options.wsPongTimeout
  if (pong !== undefined && !(typeof pong === 'number' && pong > 0 && Number.isFinite(pong))) {
    throw new TypeError(`Invalid \`wsPongTimeout\` ${String(pong)}: pass a positive number of seconds.`)
  }
  checkWindow('wsWindow', options.wsWindow)
  if (options.wsParams !== undefined && typeof options.wsParams !== 'function' && (typeof options.wsParams !== 'object' || options.wsParams === null)) {
    throw new TypeError('Invalid `wsParams`: pass an object of query parameters, or a function returning one.')
  }
  if (options.WebSocket !== undefined && typeof options.WebSocket !== 'function') {
    throw new TypeError('Invalid `WebSocket`: pass a WebSocket constructor (the global one, or `ws`).')
  }
}

/** Throws a `TypeError` unless `value` is a window size (a whole number of items, 1 or more). */
export function checkWindow(name: string, value: unknown): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) > 0)) {
    throw new TypeError(`Invalid \`${name}\` ${String(value)}: pass a whole number of items (1 or more).`)
  }
}
