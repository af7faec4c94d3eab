/**
 * The WebSocket engine's options, with their defaults (docs/websocket.md, "Options").
 *
 * @module
 */
import { debugByDefault } from '../debug.js'
import { DEFAULT_MAX_DEPTH } from '../json-depth.js'
import { defaultOnError, type Logger, type LoggerOption } from '../log.js'
import { createMemoryPubSub } from '../pubsub/memory.js'
import type { PubSub } from '../pubsub/pubsub.js'

export interface WsEngineOptions {
  /** Requests (calls with an `id`) in flight per connection; more are answered with 429. @default 100 */
  maxInFlight?: number
  /** Open subscriptions per connection; more are answered with 429. @default 100 */
  maxSubscriptions?: number
  /** Deepest JSON nesting a frame may have, checked before parsing; deeper is -32600. @default 64 */
  maxDepth?: number
  /** Most messages in one batch; more is -32600 and none of it runs. @default 50 */
  maxBatchSize?: number
  /**
   * Unsent bytes per connection above which subscriptions stop pulling from their generators,
   * pushes to the connection are dropped, and the connection stops reading the client's messages,
   * each until the socket drains. @default 262_144 (256 KiB)
   */
  highWaterMark?: number
  /**
   * Unsent bytes per connection beyond which it is cut (terminated: the client sees 1006), counted
   * before each answer is added. Above `highWaterMark` the connection reads nothing more from the
   * client, so only the answers of calls already running can get it here: a client that far behind
   * is not reading. Keep it above your largest answers. @default 16_777_216 (16 MiB)
   */
  maxBufferedAmount?: number
  /**
   * Messages per second a connection may send (a token bucket with bursts of twice that; each
   * message of a batch and each WebSocket ping frame counts). Over it, requests are answered 429
   * with `data.retryAfter` (seconds) and notifications are dropped; a client that goes on for
   * another burst's worth is closed with 1008. `0` turns it off. @default 10_000
   */
  maxMessageRate?: number
  /**
   * The publish/subscribe that handlers reach as `ctx.pubsub` (docs/scaling.md): in memory for one
   * process, or Redis Streams (`wirerpc/redis`) for several. @default createMemoryPubSub()
   */
  pubsub?: PubSub
  /** Send the message and stack of unexpected errors in `-32603` data. @default NODE_ENV !== 'production' */
  debug?: boolean
  /**
   * Called with every unexpected error a handler or middleware throws, and the upgrade request.
   * @default console.error, or nothing when a `logger` is set (its `error` line reports the error)
   */
  onError?: (error: unknown, request: Request) => void
  /**
   * Where to log connections opened and closed and unexpected errors (docs/websocket.md, "Logging"):
   * a `Logger` (`console` fits), `true` for concise console lines, `false` for none. @default false
   */
  logger?: LoggerOption
}

/** @internal Options with their defaults filled in. */
export type ResolvedWsOptions = Required<Omit<WsEngineOptions, 'logger'>> & { logger: Logger | undefined }

/** @internal The options with their defaults filled in; `logger` is already resolved. */
export function resolveWsOptions(options: WsEngineOptions, logger: Logger | undefined): ResolvedWsOptions {
  return {
    maxInFlight: options.maxInFlight ?? 100,
    maxSubscriptions: options.maxSubscriptions ?? 100,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxBatchSize: options.maxBatchSize ?? 50,
    highWaterMark: options.highWaterMark ?? 256 * 1024,
    maxBufferedAmount: options.maxBufferedAmount ?? 16 * 1024 * 1024,
    maxMessageRate: options.maxMessageRate ?? 10_000,
    pubsub: options.pubsub ?? createMemoryPubSub(),
    debug: options.debug ?? debugByDefault(),
    onError: defaultOnError(options.onError, logger, 'a WebSocket route'),
    logger,
  }
}
