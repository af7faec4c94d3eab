/**
 * The WebSocket engine: runtime-neutral. An adapter (src/node/ws.ts for Node) accepts the upgrade,
 * then hands each socket to `open(peer, upgrade)` as a small `WsPeer` and feeds it the frames.
 * The engine speaks the protocol of docs/protocol.md: dispatch, validation, the three patterns,
 * cancellation, limits and backpressure.
 *
 * @module
 */
import type { ServerManifest } from '../../protocol/manifest.js'
import { duration, logError, plural, printError, resolveLogger, shortUserAgent } from '../log.js'
import { Connection } from './connection.js'
import { resolveWsOptions, type WsEngineOptions } from './options.js'
import type { WsPeer, WsUpgrade } from './peer.js'
import { PushTopics } from './push.js'
import { compileRoute, type WsRoute } from './route.js'

export type { WsEngineOptions } from './options.js'
export type { WsPeer, WsUpgrade } from './peer.js'

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
  const resolved = resolveWsOptions(options, logger)
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

