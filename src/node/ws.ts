/**
 * The Node adapter of the WebSocket engine: accepts upgrades at `<prefix>/ws` on the HTTP server
 * with `ws` (noServer), applies the connection-level limits (origin, authorize, connections,
 * message size, handshake time, keep-alive pings) and feeds frames to the engine. Every socket it
 * takes from the HTTP server is accounted for until it is gone: refused ones are destroyed once
 * their answer is written, and all are gone by the shutdown deadline.
 *
 * @module
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type PerMessageDeflateOptions, type WebSocket } from 'ws'
import type { Promisable } from '../service/context.js'
import { errorToResponse } from '../service/http/respond.js'
import { defaultOnError, logError, printError, type Logger } from '../service/log.js'
import type { WsEngine, WsUpgrade } from '../service/ws/engine.js'
import { Heartbeat } from './heartbeat.js'
import { peerOf } from './peer.js'
import { serveAsHttp } from './upgrade-as-http.js'
import { isWebSocketUpgrade, lazyUpgrade, originAllowed, upgradeUrl } from './upgrade-request.js'

export interface WebSocketOptions {
  /** Open WebSocket connections per server; more upgrades are refused with 503. @default 10_000 */
  maxConnections?: number
  /** Largest message (bytes), checked before parsing; a larger one closes the connection with 1009. @default 1_048_576 (1 MiB) */
  maxMessageSize?: number
  /** Seconds an upgrade may take, `authorize` included, before the socket is cut. @default 10 */
  handshakeTimeout?: number
  /**
   * permessage-deflate. `true`: no context takeover either way and messages under 1 KiB sent
   * uncompressed (`ws` applies its `threshold` only without context takeover); or `ws`'s own
   * options, passed as they are. Notifications merged into one frame are kept under the threshold
   * (bytes; `ws`'s default 1 KiB), so that merging does not compress them. @default false
   */
  compression?: boolean | PerMessageDeflateOptions
  /**
   * Origins (exact, such as `https://app.example.com`) allowed to open a connection from a
   * browser; others are refused with 403 before any middleware runs. Requests without an `Origin`
   * header (non-browser clients) are allowed. @default same-origin only (Origin host = Host header)
   */
  allowedOrigins?: readonly string[]
  /**
   * Decides whether to accept an upgrade, before the 101 response. Return nothing (or `true`) to
   * accept; return `false` (403), a `Response`, or throw an HTTP error (`UnauthorizedError`) to refuse.
   */
  authorize?: (request: Request, info: { ip: string }) => Promisable<void | boolean | Response>
  /**
   * Called with unexpected errors thrown by `authorize`, which refuse the upgrade with 500.
   * @default console.error, or nothing when a `logger` is set (its `error` line reports the error)
   */
  onError?: (error: unknown, request: Request) => void
  /** Seconds between protocol pings to each client. @default 30 */
  pingInterval?: number
  /**
   * Seconds to wait for the pong before terminating a client that does not answer. One timer
   * serves every connection: both durations hold to within a quarter of the shorter (1 s at most). @default 10
   */
  pongTimeout?: number
}

export interface AttachedWebSocket {
  /** Refuses new upgrades, drains the engine until `deadline` (ms timestamp), closes every socket. */
  close(deadline: number): Promise<void>
}

/** Why an upgrade was refused, in the log. */
type RefusalReason = 'malformed' | 'path' | 'shutdown' | 'limit' | 'origin' | 'authorize' | 'timeout'

/**
 * Handles the `upgrade` requests of `server`: WebSocket upgrades to `path` are served, other
 * WebSocket upgrades get 404 (unless other `upgrade` listeners are there to take them), and
 * requests offering another protocol are served as the HTTP requests they also are. `logger`
 * (already resolved) gets refused upgrades, missed pongs, frame errors and unexpected errors.
 */
export function attachWebSocket(server: Server, engine: WsEngine, path: string, options: WebSocketOptions = {}, logger?: Logger): AttachedWebSocket {
  const {
    maxConnections = 10_000,
    maxMessageSize = 1024 * 1024,
    handshakeTimeout = 10,
    compression = false,
    allowedOrigins,
    authorize,
    pingInterval = 30,
    pongTimeout = 10,
  } = options
  const perMessageDeflate = compression === true ? DEFLATE : compression
  // Messages under this size are sent uncompressed (`ws`'s default threshold is 1 KiB).
  const compressFrom = perMessageDeflate ? (perMessageDeflate.threshold ?? 1024) : undefined
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageSize, perMessageDeflate, clientTracking: true })
  const heartbeat = new Heartbeat(pingInterval * 1000, pongTimeout * 1000)
  const onError = defaultOnError(options.onError, logger, 'authorize')
  const reportAuthorizeError = (error: unknown, request: Request) => {
    onError(error, request)
    logError(logger, error, 'authorize')
  }
  /** Sockets taken from the HTTP server and not yet a WebSocket: in their handshake, or refused and closing. */
  const handshakes = new Set<Duplex>()
  let onHandshakesGone: (() => void) | undefined
  let closing = false

  /** Logs a refused upgrade: the server's own limits and policies as warnings, the rest as info. */
  function refused(ip: string, reason: RefusalReason, status?: number) {
    if (!logger) return
    const level = reason === 'limit' || reason === 'origin' || reason === 'timeout' ? 'warn' : 'info'
    const what = status === undefined ? `cut after ${handshakeTimeout}s` : `refused with ${status}`
    logger[level](`ws upgrade ${what} (${reason}) from ${ip || 'unknown address'}`, { event: 'ws.refuse', status, reason, ip })
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Another protocol (h2c, anything but a WebSocket): a plain HTTP request to the routes.
    if (!isWebSocketUpgrade(req)) return serveAsHttp(server, req, socket, head)
    handshakes.add(socket)
    socket.once('close', () => {
      handshakes.delete(socket)
      if (handshakes.size === 0) onHandshakesGone?.()
    })
    socket.on('error', () => socket.destroy())
    upgrade(req, socket, head).catch((error: unknown) => {
      // A bug of ours, or of `ws`: this socket is refused, the server goes on.
      if (logger) logError(logger, error, 'a WebSocket upgrade')
      else printError(error, 'a WebSocket upgrade')
      if (handshakes.has(socket)) void refuse(socket, 400, 'Bad request: the upgrade could not be handled.')
      else socket.destroy()
    })
  })

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const ip = req.socket.remoteAddress ?? ''
    const target = upgradeUrl(req)
    if (!('url' in target)) {
      if (server.listenerCount('upgrade') > 1) return handshakes.delete(socket)
      refused(ip, 'malformed', 400)
      return refuse(socket, 400, `Bad request: ${target.problem}.`)
    }
    const { url } = target
    if (url.pathname !== path) {
      // Other listeners may serve WebSocket endpoints of their own on this server.
      if (server.listenerCount('upgrade') > 1) return handshakes.delete(socket)
      refused(ip, 'path', 404)
      return refuse(socket, 404, `No WebSocket endpoint at ${clip(url.pathname)}; connect to ${path}.`)
    }
    if (closing) {
      refused(ip, 'shutdown', 503)
      return refuse(socket, 503, 'The server is shutting down; connect again later.')
    }
    // Every socket held counts: open connections, and handshakes (this one among them).
    if (wss.clients.size + handshakes.size > maxConnections) {
      refused(ip, 'limit', 503)
      return refuse(socket, 503, `Too many connections (maxConnections ${maxConnections}); try again later.`)
    }
    const origin = req.headers.origin
    if (origin !== undefined && !originAllowed(origin, url.host, allowedOrigins)) {
      refused(ip, 'origin', 403)
      return refuse(socket, 403, `Origin ${clip(origin)} may not open a WebSocket here; add it to allowedOrigins on the server.`)
    }
    const timer = setTimeout(() => {
      if (!socket.destroyed) refused(ip, 'timeout')
      socket.destroy()
    }, handshakeTimeout * 1000)
    try {
      // The web Request is made when first needed (authorize, middleware, ctx.headers, an error):
      // an idle connection that makes no call never pays for it.
      const upgradeRequest = lazyUpgrade(url, req.headers, ip)
      const verdict = authorize ? await authorizeUpgrade(authorize, upgradeRequest.request, ip, reportAuthorizeError) : undefined
      if (socket.destroyed) return
      if (verdict) {
        refused(ip, 'authorize', verdict.status)
        return await refuseWith(socket, verdict)
      }
      if (closing) {
        refused(ip, 'shutdown', 503)
        return await refuse(socket, 503, 'The server is shutting down; connect again later.')
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        handshakes.delete(socket)
        serveSocket(ws, upgradeRequest)
      })
    } finally {
      clearTimeout(timer)
    }
  }

  function serveSocket(ws: WebSocket, upgrade: WsUpgrade) {
    // The code logged on close: the server's when it closed first (1001, 1009…), else the client's.
    let closeCode: number | undefined
    let connection: ReturnType<WsEngine['open']>
    try {
      connection = engine.open(peerOf(ws, (code) => (closeCode ??= code), compressFrom), upgrade)
    } catch (error) {
      if (logger) logError(logger, error, 'opening a WebSocket connection')
      else printError(error, 'opening a WebSocket connection')
      return ws.terminate()
    }
    const id = connection.id
    const beat = heartbeat.watch(
      () => ws.ping(),
      () => {
        logger?.warn(`ws #${id} terminated: no pong within ${pongTimeout}s`, { event: 'ws.pong-timeout', id, pongTimeout })
        closeCode ??= 1006
        ws.terminate()
      },
    )
    ws.on('pong', beat.pong)
    ws.on('message', (data, isBinary) => connection.receive(isBinary ? '' : data.toString(), isBinary))
    ws.on('ping', () => connection.pinged())
    ws.once('close', (code) => {
      beat.stop()
      connection.closed(closeCode ?? code)
    })
    // Errors (a message over maxMessageSize among them) are followed by 'close'; ws sends 1009 itself.
    ws.on('error', (error) => {
      const code = closeCodeOf(error)
      closeCode ??= code
      if (!logger) return
      const why = code === 1009 ? `a message over maxMessageSize (${maxMessageSize} bytes)` : error.message
      logger.warn(`ws #${id} closing with ${code}: ${why}`, { event: 'ws.frame-error', id, code, error: (error as { code?: string }).code })
    })
  }

  return {
    async close(deadline) {
      closing = true
      await engine.shutdown(deadline)
      const cut = setTimeout(
        () => {
          wss.clients.forEach((ws) => ws.terminate())
          for (const socket of handshakes) socket.destroy()
        },
        Math.max(0, deadline - Date.now()),
      )
      const handshakesGone = new Promise<void>((resolve) => {
        onHandshakesGone = resolve
        if (handshakes.size === 0) resolve()
      })
      await Promise.all([new Promise<void>((resolve) => wss.close(() => resolve())), handshakesGone])
      clearTimeout(cut)
    },
  }
}

/**
 * `compression: true`. With context takeover, `ws` compresses every message, however small (its
 * threshold would desynchronise the shared window): small calls then cost a zlib round each.
 * Without it, each message is compressed on its own, and those under the threshold not at all.
 */
const DEFLATE: PerMessageDeflateOptions = { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 1024 }

/** Longest part of a client's request echoed in a refusal (characters). */
const ECHOED = 100

/** Client text quoted in a refusal, cut to ECHOED characters. */
function clip(text: string): string {
  return text.length > ECHOED ? `${text.slice(0, ECHOED)}…` : text
}

/** The close code `ws` sends for a frame error (it keeps it on the error under a private symbol). */
function closeCodeOf(error: Error): number {
  const symbol = Object.getOwnPropertySymbols(error).find((key) => key.description === 'status-code')
  const code = symbol && (error as unknown as Record<symbol, unknown>)[symbol]
  if (typeof code === 'number') return code
  const name = (error as { code?: string }).code
  return name === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : name === 'WS_ERR_INVALID_UTF8' ? 1007 : 1002
}

/** Runs `authorize`; returns the refusal (a Response) or undefined to accept. */
async function authorizeUpgrade(
  authorize: NonNullable<WebSocketOptions['authorize']>,
  request: Request,
  ip: string,
  onError: (error: unknown, request: Request) => void,
): Promise<Response | undefined> {
  try {
    const verdict = await authorize(request, { ip })
    if (verdict instanceof Response) return verdict
    if (verdict === false) return Response.json({ message: 'Forbidden: the server refused this WebSocket connection.' }, { status: 403 })
    return undefined
  } catch (error) {
    // The HTTP layer's mapping: a Response as is, an HTTP error with its status, anything else 500
    // (reported, no details to the client).
    return errorToResponse(error, { debug: false, onError }, request)
  }
}

/**
 * Answers `socket` with `response` and destroys it once the answer is written (or after
 * REFUSAL_LINGER_MS, when the client reads nothing): a refused socket holds nothing afterwards.
 */
async function refuseWith(socket: Duplex, response: Response): Promise<void> {
  const body = await response.text()
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText || 'Refused'}`, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`]
  response.headers.forEach((value, name) => {
    if (name !== 'content-length' && name !== 'connection') lines.push(`${name}: ${value}`)
  })
  if (socket.destroyed) return
  const linger = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS)
  socket.once('close', () => clearTimeout(linger))
  socket.once('finish', () => socket.destroy())
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`)
}

/** Longest wait (ms) for a refusal to be written before its socket is destroyed anyway. */
const REFUSAL_LINGER_MS = 1000

function refuse(socket: Duplex, status: number, message: string): Promise<void> {
  return refuseWith(socket, Response.json({ message }, { status, statusText: STATUS[status] ?? '' } as ResponseInit))
}

const STATUS: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }
