/**
 * The baseline: a bare `ws` server with a small JSON-RPC id dispatcher (`echo`, `ticks`,
 * `subscribe`, `publish`), at `<url>ws`. With `PEER_COALESCE=1` it is `bare-coalesced`: the first
 * send of a tick corks the TCP socket and a `process.nextTick` uncorks it, so every frame written
 * in that tick (after all its microtasks) leaves in one `writev`. The bytes on the wire are the
 * same either way; only the number of socket writes changes.
 */
import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { echo, parseEcho, ticks } from '../../lib/client-ws-work.js'
import { TOPIC } from '../protocol.js'
import { hostServer } from '../server-host.js'

const COALESCE = process.env['PEER_COALESCE'] === '1'
const HIGH_WATER_MARK = 1024 * 1024
type Send = (text: string) => void

function sender(ws: WebSocket, socket: Socket): Send {
  if (!COALESCE) return (text) => ws.send(text)
  let corked = false
  const flush = () => {
    corked = false
    socket.uncork()
  }
  return (text) => {
    if (!corked) {
      corked = true
      socket.cork()
      process.nextTick(flush)
    }
    ws.send(text)
  }
}

/** Resolves once the socket drains or closes (the stream's backpressure, as `bench/servers/raw-ws.ts`). */
const drained = (socket: Socket) => new Promise<void>((resolve) => {
  const done = () => (socket.off('drain', done), socket.off('close', done), resolve())
  socket.once('drain', done).once('close', done)
})

const subscribers = new Set<Send>()

async function stream(ws: WebSocket, socket: Socket, send: Send, id: unknown, count: number): Promise<void> {
  let sent = 0
  for await (const value of ticks(count)) {
    while (ws.bufferedAmount > HIGH_WATER_MARK && ws.readyState === ws.OPEN) await drained(socket)
    if (ws.readyState !== ws.OPEN) return
    send(JSON.stringify({ jsonrpc: '2.0', method: '$/next', params: { id, value } }))
    sent++
  }
  send(JSON.stringify({ jsonrpc: '2.0', id, result: sent }))
}

const server = createServer((_req, res) => res.writeHead(404).end())
const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 1024 * 1024, perMessageDeflate: false })

// The dispatcher: parse, check the envelope, route on `method`, answer with the same `id`.
wss.on('connection', (ws, req) => {
  const send = sender(ws, req.socket)
  const reply = (id: unknown, result: unknown) => send(JSON.stringify({ jsonrpc: '2.0', id, result }))
  const fail = (id: unknown, code: number, message: string) => send(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }))
  ws.on('message', (data) => {
    let message: { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown }
    try {
      message = JSON.parse(data.toString())
    } catch {
      return fail(null, -32700, 'Parse error.')
    }
    const { id, method, params } = message
    if (message.jsonrpc !== '2.0' || typeof method !== 'string' || !Array.isArray(params)) return fail(id ?? null, -32600, 'Invalid request.')
    try {
      if (method === 'echo') return void echo(parseEcho(params[0])).then((result) => reply(id, result))
      if (method === 'ticks' && typeof params[0] === 'number') return void stream(ws, req.socket, send, id, params[0])
      if (method === 'subscribe' && params[0] === TOPIC) return (subscribers.add(send), reply(id, true))
      if (method === 'publish' && typeof params[0] === 'number' && typeof params[1] === 'number') {
        const [r, count] = params as [number, number]
        // One JSON.stringify per message and subscriber, as a naive broadcast does.
        for (let s = 0; s < count; s++) for (const to of subscribers) to(JSON.stringify({ jsonrpc: '2.0', method: 'e', params: { r, s } }))
        return reply(id, count)
      }
      fail(id, -32601, 'Method not found.')
    } catch (error) {
      fail(id, -32602, (error as Error).message)
    }
  })
  ws.on('close', () => subscribers.delete(send))
  ws.on('error', () => {})
})

server.listen(0, '127.0.0.1', () =>
  hostServer((server.address() as AddressInfo).port, async () => {
    for (const ws of wss.clients) ws.terminate()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }),
)
