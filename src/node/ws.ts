/**
 * The Node adapter of the WebSocket engine: accepts upgrades at `<prefix>/ws` on the HTTP server
 * with `ws` (noServer), applies the connection-level limits (origin, authorize, connections,
 * message size, handshake time, keep-alive pings) and feeds frames to the engine.
 *
 * @module
 */
// --- types ---
import { Heartbeat } from './heartbeat.js'
import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type PerMessageDeflateOptions, type WebSocket } from 'ws'
import type { Promisable } from '../service/context.js'
import { errorToResponse } from '../service/http/respond.js'
import { defaultOnError, logError, type Logger } from '../service/log.js'
import type { WsEngine, WsPeer, WsUpgrade } from '../service/ws/engine.js'
import { FrameMerger, type Outgoing } from './frame-merger.js'
import { writeBatcher } from '../protocol/write-batching.js'
import { textFrame } from './text-frame.js'

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
type RefusalReason = 'path' | 'shutdown' | 'limit' | 'origin' | 'authorize' | 'timeout'

// --- adapter ---
/**
 * Handles `upgrade` requests for `path` on `server`; other upgrade paths get 404. `logger` (already
 * resolved) gets refused upgrades, missed pongs, frame errors and `authorize`'s unexpected errors.
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
  let pending = 0
  let closing = false

  /** Logs a refused upgrade: the server's own limits and policies as warnings, the rest as info. */
  function refused(ip: string, reason: RefusalReason, status?: number) {
    if (!logger) return
    const level = reason === 'limit' || reason === 'origin' || reason === 'timeout' ? 'warn' : 'info'
    const what = status === undefined ? `cut after ${handshakeTimeout}s` : `refused with ${status}`
    logger[level](`ws upgrade ${what} (${reason}) from ${ip || 'unknown address'}`, { event: 'ws.refuse', status, reason, ip })
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void upgrade(req, socket, head)
  })

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    socket.on('error', () => socket.destroy())
    const ip = req.socket.remoteAddress ?? ''
    const host = req.headers.host ?? 'localhost'
    const url = new URL(req.url ?? '/', `http://${host}`)
    if (url.pathname !== path) {
      refused(ip, 'path', 404)
      return refuse(socket, 404, `No WebSocket endpoint at ${url.pathname}; connect to ${path}.`)
    }
    if (closing) {
      refused(ip, 'shutdown', 503)
      return refuse(socket, 503, 'The server is shutting down; connect again later.')
    }
    if (wss.clients.size + pending >= maxConnections) {
      refused(ip, 'limit', 503)
      return refuse(socket, 503, `Too many connections (maxConnections ${maxConnections}); try again later.`)
    }
    const origin = req.headers.origin
    if (origin !== undefined && !originAllowed(origin, host, allowedOrigins)) {
      refused(ip, 'origin', 403)
      return refuse(socket, 403, `Origin ${origin} may not open a WebSocket here; add it to allowedOrigins on the server.`)
    }
    pending++
    let released = false
    const release = () => {
      if (released) return
      released = true
      pending--
    }
    const timer = setTimeout(() => {
      if (!socket.destroyed) refused(ip, 'timeout')
      socket.destroy()
      release()
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
      wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, upgradeRequest))
    } finally {
      clearTimeout(timer)
      release()
    }
  }

  function serveSocket(ws: WebSocket, upgrade: WsUpgrade) {
    // The code logged on close: the server's when it closed first (1001, 1009…), else the client's.
    let closeCode: number | undefined
    const connection = engine.open(peerOf(ws, (code) => (closeCode ??= code), compressFrom), upgrade)
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
      const left = setTimeout(() => wss.clients.forEach((ws) => ws.terminate()), Math.max(0, deadline - Date.now()))
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      clearTimeout(left)
    },
  }
}

// --- peer ---
/**
 * The engine's view of `ws`; `onClose` hears the code of each close the engine starts.
 * `compressFrom`: the size from which messages are compressed, when compression is on.
 */
function peerOf(ws: WebSocket, onClose: (code: number) => void, compressFrom: number | undefined): WsPeer {
  const socket = (ws as unknown as { _socket?: Socket })._socket
  // The notifications of one tick leave as few frames (src/node/frame-merger.ts), the frames of
  // one tick in few socket writes (src/protocol/write-batching.ts).
  const batch = socket ? writeBatcher(socket, false) : undefined
  // Without an extension (compression), `ws` queues nothing of its own (it queues only while it
  // compresses, or reads a Blob, which this adapter never sends), so frames written straight to
  // the socket keep their order with the pings and the close `ws` writes there.
  const compressed = ws.extensions !== ''
  const direct = socket !== undefined && !compressed
  const write = (frame: Outgoing) => {
    // A message that will wait in a backed-up socket's queue gets a buffer of its own: a small
    // one would be a slice of a shared 8 KiB pool slab, and slabs shared by slow connections
    // stay alive until the slowest of them drains (3× the queued bytes, measured).
    const pooled = ws.bufferedAmount <= UNPOOLED_ABOVE
    // One buffer, one write (src/node/text-frame.ts); a large push encoded once for all
    // subscribers is not copied per connection.
    if (direct && ws.readyState === ws.OPEN && (typeof frame === 'string' || frame.byteLength <= COPY_AT_MOST)) socket.write(textFrame(frame, pooled))
    else if (typeof frame !== 'string') ws.send(frame, { binary: false })
    else if (!pooled) {
      const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(frame))
      bytes.write(frame)
      ws.send(bytes, { binary: false })
    } else ws.send(frame)
  }
  // Where compression was negotiated, merged frames stay under its threshold: notifications too
  // small to be compressed alone are not compressed for being merged (docs/decisions.md).
  const frameLimit = compressed ? compressFrom : undefined
  const frames = new FrameMerger(
    (frame) => {
      batch?.beforeWrite()
      write(frame)
      batch?.afterWrite()
    },
    batch?.endOfTick,
    frameLimit,
  )
  return {
    send(message, mergeable = false) {
      frames.send(message, mergeable)
    },
    close(code, reason) {
      frames.flush()
      onClose(code)
      ws.close(code, reason)
    },
    get bufferedAmount() {
      return ws.bufferedAmount + frames.queuedBytes
    },
    onDrain(listener) {
      // ws has no drain event of its own: use the TCP socket's, with a timer in case bytes queued
      // inside ws (not the socket) keep bufferedAmount up after the socket drained.
      let done = false
      const once = () => {
        if (done) return
        done = true
        clearTimeout(timer)
        socket?.off('drain', once)
        listener()
      }
      const timer = setTimeout(once, 50)
      socket?.once('drain', once)
    },
  }
}

/**
 * `compression: true`. With context takeover, `ws` compresses every message, however small (its
 * threshold would desynchronise the shared window): small calls then cost a zlib round each.
 * Without it, each message is compressed on its own, and those under the threshold not at all.
 */
const DEFLATE: PerMessageDeflateOptions = { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 1024 }

/** Queued bytes above which outgoing messages are copied out of the shared Buffer pool. */
const UNPOOLED_ABOVE = 64 * 1024
/** Largest encoded message (bytes) copied into a frame of its own; a larger one is sent by `ws` as it is. */
const COPY_AT_MOST = 16 * 1024

/** The close code `ws` sends for a frame error (it keeps it on the error under a private symbol). */
function closeCodeOf(error: Error): number {
  const symbol = Object.getOwnPropertySymbols(error).find((key) => key.description === 'status-code')
  const code = symbol && (error as unknown as Record<symbol, unknown>)[symbol]
  if (typeof code === 'number') return code
  const name = (error as { code?: string }).code
  return name === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : name === 'WS_ERR_INVALID_UTF8' ? 1007 : 1002
}

function originAllowed(origin: string, host: string, allowed: readonly string[] | undefined): boolean {
  if (allowed) return allowed.includes(origin)
  try {
    return new URL(origin).host === host
  } catch {
    return false
  }
}

function toHeaders(raw: IncomingMessage['headers']): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  return headers
}

/** The engine's view of an upgrade, whose `Request` is built on first read from the raw headers. */
function lazyUpgrade(url: URL, headers: IncomingMessage['headers'], ip: string): WsUpgrade {
  let request: Request | undefined
  return {
    ip,
    get request() {
      return (request ??= new Request(url, { headers: toHeaders(headers) }))
    },
  }
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

async function refuseWith(socket: Duplex, response: Response): Promise<void> {
  const body = await response.text()
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText || 'Refused'}`, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`]
  response.headers.forEach((value, name) => {
    if (name !== 'content-length' && name !== 'connection') lines.push(`${name}: ${value}`)
  })
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`)
}

function refuse(socket: Duplex, status: number, message: string): Promise<void> {
  return refuseWith(socket, Response.json({ message }, { status, statusText: STATUS[status] ?? '' } as ResponseInit))
}

const STATUS: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }

