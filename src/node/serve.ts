/**
 * `serve(routes, options)`: a Node `http.Server` for the compiled routes, through srvx's
 * fetch-to-Node bridge, with a graceful `close()` (docs/routes.md, "Serving from Node").
 * The `upgrade` event is left free for the WebSocket endpoint at `<prefix>/ws`.
 *
 * @module
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeHandler } from 'srvx/node'
import type { ServerManifest } from '../protocol/manifest.js'
import { compileRoutes, type CompileRoutesOptions } from '../service/http/compile-routes.js'
import { duration, plural, resolveLogger, type LoggerOption } from '../service/log.js'
import { createWsEngine, type WsEngineOptions } from '../service/ws/engine.js'
import { attachWebSocket, type WebSocketOptions } from './ws.js'

export interface ServeOptions extends Omit<CompileRoutesOptions, 'logger'>, Omit<WsEngineOptions, 'debug' | 'onError' | 'logger'>, WebSocketOptions {
  /** TCP port; 0 picks a free one (read it from the result's `port`). @default 3000 */
  port?: number
  /** Interface to listen on. @default '127.0.0.1' */
  hostname?: string
  /**
   * How long (seconds) `close()` lets in-flight requests finish before cutting their
   * connections. @default 10
   */
  shutdownTimeout?: number
  /**
   * Where the server logs what it does: listening (with both URLs), WebSocket connections opened
   * and closed, upgrades refused, missed pongs, frame errors, unexpected errors (with the route's
   * name) and shutdown. One self-contained line per event, never a body, params, query string,
   * cookie or header value other than a shortened user-agent (docs/websocket.md, "Logging").
   * `true` writes concise lines to the console (warnings and errors to stderr); a `Logger`
   * (`console` fits) gets `(message, fields)`; `false` logs nothing. With a logger and no
   * `onError`, unexpected errors go to the logger only. @default false
   */
  logger?: LoggerOption
}

export interface RunningServer {
  /** The underlying Node server (attach `upgrade` listeners and the like here). */
  readonly server: Server
  /** The bound port (useful with `port: 0`). */
  readonly port: number
  readonly hostname: string
  /** Base URL of the API, prefix included: `http://127.0.0.1:3000/api/`. */
  readonly url: string
  /** URL of the WebSocket endpoint: `ws://127.0.0.1:3000/api/ws`. */
  readonly wsUrl: string
  /**
   * Stops accepting connections, lets in-flight requests finish for up to `shutdownTimeout`
   * seconds, then closes every connection. Resolves when the server is closed.
   */
  close(): Promise<void>
}

export async function serve(routes: ServerManifest, options: ServeOptions = {}): Promise<RunningServer> {
  const { port = 3000, hostname = '127.0.0.1', shutdownTimeout = 10, logger: loggerOption = false, ...others } = options
  const logger = resolveLogger(loggerOption)
  const rest = { ...others, logger: logger ?? false }
  const handler = toNodeHandler(compileRoutes(routes, rest))
  let inFlight = 0
  let closing: Promise<void> | undefined
  let onIdle: (() => void) | undefined
  const handshakeMs = (options.handshakeTimeout ?? 10) * 1000
  const server = createServer({ headersTimeout: Math.min(60_000, handshakeMs), connectionsCheckingInterval: Math.min(30_000, Math.max(50, handshakeMs / 2)) }, (req, res) => {
    inFlight++
    res.once('close', () => {
      inFlight--
      if (closing) server.closeIdleConnections()
      if (inFlight === 0) onIdle?.()
    })
    // srvx types its handler for http and http2 requests alike.
    void handler(req as never, res as never)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, hostname, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const prefix = '/' + (options.prefix ?? '/').replace(/^\/+|\/+$/g, '')
  // Every WebSocket route shares one endpoint, <prefix>/ws, on the same port.
  const engine = createWsEngine(routes, rest)
  const wsPath = `${prefix === '/' ? '' : prefix}/ws`
  const websocket = attachWebSocket(server, engine, wsPath, rest, logger)
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}${prefix === '/' ? '/' : `${prefix}/`}`
  const wsUrl = `ws://${host}:${address.port}${wsPath}`
  logger?.info(`listening on ${url} and ${wsUrl}`, { event: 'listening', url, wsUrl })
  return {
    server,
    port: address.port,
    hostname: address.address,
    url,
    wsUrl,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const started = Date.now()
        const deadline = started + shutdownTimeout * 1000
        let cutAtDeadline = false
        const cut = setTimeout(() => {
          cutAtDeadline = true
          server.closeAllConnections()
        }, shutdownTimeout * 1000)
        if (logger) {
          const open = `${plural(engine.connectionCount, 'WebSocket connection')} and ${plural(inFlight, 'HTTP request')} open`
          logger.info(`shutting down: ${open}, ${shutdownTimeout}s to finish`, {
            event: 'shutdown.start',
            connections: engine.connectionCount,
            requests: inFlight,
            shutdownTimeout,
          })
        }
        let httpClosed = false
        let wsClosed = false
        const done = () => {
          if (!httpClosed || !wsClosed) return
          clearTimeout(cut)
          const ms = Date.now() - started
          const forced = cutAtDeadline || ms >= shutdownTimeout * 1000
          logger?.info(`shut down in ${duration(ms)}${forced ? ' (shutdownTimeout reached: what was left was cut)' : ''}`, { event: 'shutdown.end', durationMs: ms, forced })
          resolve()
        }
        server.close(() => {
          httpClosed = true
          done()
        })
        void websocket.close(deadline).then(() => {
          wsClosed = true
          done()
        })
        // Keep-alive sockets with no request in flight would hold close() open: end them now and
        // again whenever the last in-flight request finishes.
        onIdle = () => server.closeAllConnections()
        if (inFlight === 0) onIdle()
        else server.closeIdleConnections()
      })
      return closing
    },
  }
}
