/**
 * Opening one WebSocket: which constructor, which URL, which headers. The connection manager
 * (`connection.ts`) decides when.
 *
 * @module
 */
import { writeBatcher, type Corkable } from '../../protocol/write-batching.js'
import { WS_PATH } from '../../protocol/ws.js'
import { resolvePrefixUrl } from '../http/url.js'
import { resolveHeaders, type MergedOptions } from '../options.js'
import type { WebSocketConstructor } from './options.js'

// Kept out of a string literal so that bundlers leave `ws` (Node-only) out of browser bundles.
const WS_PACKAGE = 'ws'

let nodeWebSocket: Promise<WebSocketConstructor> | undefined

/** The configured constructor, else the global one, else `ws` (Node 20), imported once. */
export function webSocketConstructor(options: MergedOptions): Promise<WebSocketConstructor> {
  if (options.ws.WebSocket) return Promise.resolve(options.ws.WebSocket)
  const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (native) return Promise.resolve(native)
  nodeWebSocket ??= import(/* @vite-ignore */ WS_PACKAGE).then(
    (module: { WebSocket: WebSocketConstructor }) => module.WebSocket,
    (error: unknown) => {
      nodeWebSocket = undefined
      throw new Error('This runtime has no global `WebSocket` and the `ws` package could not be loaded: install `ws`, or pass the `WebSocket` option.', {
        cause: error,
      })
    },
  )
  return nodeWebSocket
}

/** `<prefixUrl>ws` with the `ws(s):` scheme, plus the `wsParams` query. */
export async function webSocketUrl(options: MergedOptions): Promise<string> {
  const url = new URL(WS_PATH, resolvePrefixUrl(options.prefixUrl))
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  const { wsParams } = options.ws
  const params = typeof wsParams === 'function' ? await wsParams() : wsParams
  for (const [name, value] of Object.entries(params ?? {})) url.searchParams.set(name, value)
  return url.href
}

/** Whether this is Node.js (whose WebSocket implementations accept headers) rather than a browser. */
const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string'

/**
 * Creates the socket. Headers go with the upgrade in Node (`ws` and Node's own WebSocket both take
 * `{ headers }`); browsers cannot send them, so there they are left out (cookies and `wsParams` are
 * what browsers can send).
 */
export async function createSocket(options: MergedOptions): Promise<WebSocket> {
  const [Constructor, url] = await Promise.all([webSocketConstructor(options), webSocketUrl(options)])
  const headers = isNode && options.headers.length > 0 ? Object.fromEntries(await resolveHeaders(options.headers)) : {}
  return Object.keys(headers).length > 0 ? new Constructor(url, { headers }) : new Constructor(url)
}

/** The HTTP status of a refused upgrade, when the implementation tells it (`ws` does, browsers do not). */
export function refusedStatus(event: Event): number | undefined {
  const message = (event as { message?: unknown }).message
  const match = typeof message === 'string' ? /Unexpected server response: (\d{3})/.exec(message) : null
  return match ? Number(match[1]) : undefined
}

/** Node's `Buffer`, only used where `ws` runs (Node). */
const NodeBuffer = (globalThis as { Buffer?: { from(text: string): Uint8Array } }).Buffer

/**
 * How a text message is written on the open `socket`. On `ws` in Node: in the write batch of its
 * TCP socket, which gathers the frames of one tick into few writes, and as UTF-8 bytes (still a
 * text frame), which `ws` masks into one buffer written once, where text costs it a second chunk
 * and Node's `writev` (about 1.5 µs more per message, docs/performance.md). Elsewhere (browsers,
 * Node's own WebSocket) `send` as it is: those runtimes expose no socket, and bytes would go as
 * a binary frame.
 */
export function textWriter(socket: WebSocket): (text: string) => void {
  const tcp = (socket as unknown as { _socket?: Corkable })._socket
  if (!isNodeWs(socket) || !NodeBuffer || !tcp || typeof tcp.cork !== 'function') return (text) => socket.send(text)
  const batch = writeBatcher(tcp)
  return (text) => {
    batch.beforeWrite()
    socket.send(NodeBuffer.from(text), { binary: false })
    batch.afterWrite()
  }
}

/** What `ws` adds to the WebSocket interface: its EventEmitter side. */
interface NodeWsEvents {
  on(event: 'message', listener: (data: { toString(): string }, isBinary: boolean) => void): void
  removeAllListeners(event: 'message'): void
  send(data: Uint8Array, options: { binary: boolean }): void
}

const isNodeWs = (socket: WebSocket): socket is WebSocket & NodeWsEvents =>
  typeof (socket as Partial<NodeWsEvents>).on === 'function' && typeof (socket as Partial<NodeWsEvents>).removeAllListeners === 'function'

/**
 * Calls `listener` with each message's text (or binary data). On `ws`, through its own `message`
 * event: the WHATWG `onmessage` it also offers wraps every message in a `MessageEvent` first.
 */
export function onMessage(socket: WebSocket, listener: (data: unknown) => void): void {
  if (isNodeWs(socket)) socket.on('message', (data, isBinary) => listener(isBinary ? data : data.toString()))
  else socket.onmessage = (event: MessageEvent) => listener(event.data)
}

/** Closes a socket and silences it; `ws` sockets are destroyed at once unless closing cleanly. */
export function abandon(socket: WebSocket, code?: number): void {
  socket.onopen = socket.onmessage = socket.onclose = null
  if (isNodeWs(socket)) socket.removeAllListeners('message')
  // Kept, not removed: `ws` throws an error event that has no listener.
  socket.onerror = () => {}
  const terminate = (socket as { terminate?: () => void }).terminate
  try {
    if (code === undefined && terminate) terminate.call(socket)
    else socket.close(code)
  } catch {
    // Already closed.
  }
}

/** Why a socket closed before it opened, from its error event when there was one. */
export function errorOf(event: Event | undefined, close: CloseEvent): Error {
  const message = (event as { message?: unknown } | undefined)?.message
  if (typeof message === 'string' && message) return new Error(message, { cause: (event as { error?: unknown }).error })
  return new Error(`the WebSocket closed before opening (code ${close.code})`)
}
