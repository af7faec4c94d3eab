/**
 * The WebSocket engine: runtime-neutral. An adapter (src/node/ws.ts for Node) accepts the upgrade,
 * then hands each socket to `open(peer, upgrade)` as a small `WsPeer` and feeds it the frames.
 * The engine speaks the protocol of docs/protocol.md: dispatch, validation, the three patterns,
 * cancellation, limits and backpressure.
 *
 * @module
 */
import { debugByDefault } from '../debug.js'
import { DEFAULT_MAX_DEPTH } from '../json-depth.js'
import type { ServerManifest, ServerWsRoute } from '../../protocol/manifest.js'
import type { ErrorObject } from '../../protocol/ws.js'
import { WsErrorCode } from '../../protocol/ws.js'
import { defaultOnError, duration, logError, plural, printError, resolveLogger, shortUserAgent, type Logger, type LoggerOption } from '../log.js'
import type { Middleware } from '../middleware.js'
import { compileCheck, type CheckResult } from '../schema/check.js'
import { admitsPollutingKeys } from '../schema/closed.js'
import type { JsonSchema } from '../schema/walk.js'
import { createMemoryPubSub } from '../pubsub/memory.js'
import type { PubSub } from '../pubsub/pubsub.js'
import { describeThrown, thrownHttpError, thrownResponse, thrownResync } from '../thrown.js'
import { Connection } from './connection.js'
import { PushTopics } from './push.js'

/** The engine's view of a socket, implemented by each adapter. */
export interface WsPeer {
  /**
   * Sends one message as a text frame: a string, or its UTF-8 bytes (a frame encoded once for many
   * sockets). `mergeable` marks a `$/next` or `$/push` notification, which the adapter may send in
   * one array frame with others of the same tick (docs/protocol.md, "Communication"); responses
   * always leave as frames of their own.
   */
  send(text: string | Uint8Array, mergeable?: boolean): void
  /** Closes the socket with a WebSocket close code and a reason. */
  close(code: number, reason: string): void
  /** Cuts the socket at once, without a close handshake (nothing queued is sent). */
  terminate(): void
  /** Stops reading the client's messages (the socket's backlog then holds the client back). */
  pauseReading(): void
  /** Reads the client's messages again. */
  resumeReading(): void
  /** Bytes queued but not yet written to the network. */
  readonly bufferedAmount: number
  /** Calls `listener` once, when `bufferedAmount` has fallen (the socket drained). */
  onDrain(listener: () => void): void
}

/** What the adapter knows of the upgrade request. */
export interface WsUpgrade {
  /** The upgrade request (its URL and headers; it has no body). */
  request: Request
  /** The client's IP address; `''` when unknown. */
  ip: string
}

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

/** @internal A route ready to run: its definition loads lazily, its params check is compiled. */
export interface WsRoute {
  readonly entry: ServerWsRoute
  readonly check: ((input: unknown, fromText: boolean) => CheckResult) | undefined
  /** Params that pass the check may still hold a prototype-polluting key: scan every call's (schema/closed.ts). */
  readonly scanParams: boolean
  /** Fixed positional parameters (the context comes after them), or `undefined` with a rest parameter. */
  readonly fixedParams: number | undefined
  load(): Promise<WsRouteDefinitionLoaded>
  /** The definition once loaded: calls after the first skip the wait. */
  readonly loaded: WsRouteDefinitionLoaded | undefined
}

/** @internal */
export interface WsRouteDefinitionLoaded {
  handler: (...args: unknown[]) => unknown
  middleware: readonly Middleware<any, any>[]
}

/** @internal Options with their defaults filled in. */
export type ResolvedWsOptions = Required<Omit<WsEngineOptions, 'logger'>> & { logger: Logger | undefined }

export interface WsEngine {
  /**
   * Starts serving a socket; call `receive` with each frame and `closed` (with the close code, when
   * known) when it closes. `id` names the connection in the log and in `ctx.id`.
   */
  open(peer: WsPeer, upgrade: WsUpgrade): { readonly id: string; receive(data: string, isBinary: boolean): void; pinged(): void; closed(code?: number): void }
  /**
   * Shutdown: ends subscriptions (-32001), lets requests in flight finish until `deadline`
   * (a timestamp in ms), answers the rest with -32001, then closes every socket with 1001.
   */
  shutdown(deadline: number): Promise<void>
  /** Connections open now. */
  readonly connectionCount: number
}

export function createWsEngine(routes: ServerManifest, options: WsEngineOptions = {}): WsEngine {
  const logger = resolveLogger(options.logger)
  const resolved: ResolvedWsOptions = {
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
  // A Map, so that a method named "constructor" or "__proto__" finds nothing.
  const byName = new Map<string, WsRoute>()
  for (const entry of routes) {
    if (entry.protocol !== 'ws') continue
    if (byName.has(entry.name)) throw new TypeError(`Two WebSocket routes are named "${entry.name}"; rename one of them.`)
    byName.set(entry.name, compileRoute(entry))
  }
  const connections = new Set<Connection>()
  // A broadcast topic's PubSub subscription failed (it is followed again): there is no request to
  // give onError, so it goes to the log, or the console without one.
  const topics = new PushTopics(resolved.pubsub, (error) => {
    if (logger) logError(logger, error, 'a push topic subscription')
    else printError(error, 'a push topic subscription (followed again in 1 s)')
  })
  let nextId = 0

  return {
    open(peer, upgrade) {
      const connection = new Connection(`${++nextId}`, peer, upgrade, byName, resolved, topics)
      connections.add(connection)
      const opened = Date.now()
      if (logger) {
        const userAgent = shortUserAgent(upgrade.request.headers)
        const from = `${upgrade.ip || 'unknown address'}${userAgent ? ` (${JSON.stringify(userAgent)})` : ''}`
        logger.info(`ws #${connection.id} open from ${from}`, { event: 'ws.open', id: connection.id, ip: upgrade.ip, userAgent })
      }
      return {
        id: connection.id,
        receive: (data, isBinary) => connection.receive(data, isBinary),
        pinged: () => connection.pinged(),
        closed: (code) => {
          if (!connections.delete(connection)) return
          connection.closed()
          if (!logger) return
          const ms = Date.now() - opened
          const { id, callCount: calls } = connection
          const line = `ws #${id} closed${code === undefined ? '' : ` with ${code}`} after ${duration(ms)}, ${plural(calls, 'call')}`
          logger.info(line, { event: 'ws.close', id, code, durationMs: ms, calls })
        },
      }
    },
    async shutdown(deadline) {
      await Promise.all([...connections].map((connection) => connection.shutdown(deadline)))
    },
    get connectionCount() {
      return connections.size
    },
  }
}

function compileRoute(entry: ServerWsRoute): WsRoute {
  let loading: Promise<WsRouteDefinitionLoaded> | undefined
  const schema = entry.paramsSchema as { prefixItems?: unknown[]; items?: unknown } | undefined
  const rest = schema !== undefined && schema.items !== undefined && schema.items !== false
  const route: { -readonly [K in keyof WsRoute]: WsRoute[K] } = {
    entry,
    check: entry.paramsSchema ? compileCheck(entry.paramsSchema) : undefined,
    scanParams: entry.paramsSchema === undefined || admitsPollutingKeys(entry.paramsSchema as JsonSchema),
    fixedParams: rest ? undefined : (schema?.prefixItems?.length ?? 0),
    loaded: undefined,
    load() {
      loading ??= entry.import().then((definition) => {
        if (definition?.protocol !== 'ws' || typeof definition.handler !== 'function') {
          throw new Error(`Route "${entry.name}": the manifest's import() did not return a WebSocket route definition; regenerate the server manifest.`)
        }
        const { handler, middleware } = definition as unknown as WsRouteDefinitionLoaded
        return (route.loaded = { handler, middleware: middleware ?? [] })
      })
      // A failed import is retried on the next call instead of failing forever.
      loading.catch(() => (loading = undefined))
      return loading
    },
  }
  return route
}

/** @internal Where an unexpected error happened, for the log: the route and the connection. */
export interface ErrorSite {
  route?: string | undefined
  connection: string
}

/** @internal Reports an unexpected error to `onError` and to the logger. */
export function reportError(error: unknown, options: ResolvedWsOptions, request: Request, site: ErrorSite): void {
  options.onError(error, request)
  const where = site.route === undefined ? `ws #${site.connection}` : `ws route ${JSON.stringify(site.route)} (ws #${site.connection})`
  logError(options.logger, error, where, { route: site.route, id: site.connection })
}

/** @internal The error object for anything a handler or middleware threw (src/service/thrown.ts reads it). */
export function toErrorObject(error: unknown, options: ResolvedWsOptions, request: Request, site: ErrorSite): ErrorObject {
  const http = thrownHttpError(error)
  if (http) return { code: http.status, message: http.message, ...(http.data !== undefined ? { data: http.data } : {}) }
  const response = thrownResponse(error)
  if (response) return { code: response.status, message: response.statusText || `HTTP ${response.status}` }
  const resync = thrownResync(error)
  if (resync) return { code: WsErrorCode.ResyncRequired, message: resync.message, data: { lastEventId: resync.lastEventId } }
  reportError(error, options, request, site)
  if (!options.debug) return { code: WsErrorCode.InternalError, message: 'Internal error.' }
  const { message, stack } = describeThrown(error)
  return { code: WsErrorCode.InternalError, message: 'Internal error.', data: stack === undefined ? { message } : { message, stack } }
}
