/**
 * The baseline: a minimal `ws` server speaking the same JSON-RPC messages as wirerpc for the two
 * benchmark routes, written by hand. Per message it parses the JSON, checks the envelope and the
 * params with `typeof`, calls the shared function and `JSON.stringify`s the reply. A subscription
 * sends the generator's items in a loop, waiting for the socket to drain while `ws.bufferedAmount`
 * is above 1 MiB; `$/cancel` stops it. It skips what wirerpc adds per call: the depth scan,
 * in-flight accounting and limits, an `AbortController` and a context per call, schema checks,
 * middleware and the shutdown protocol.
 */
import { createServer } from 'node:http'
import type { Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { getUser, METHOD, ticks } from '../lib/ws-work.js'
import { announceWebSocketServer } from './work.js'

const MAX_MESSAGE_SIZE = 1024 * 1024
const HIGH_WATER_MARK = 1024 * 1024

type Id = string | number

interface Subscription {
  cancelled: boolean
  iterator: AsyncGenerator<unknown, unknown>
}

function send(ws: WebSocket, message: unknown): void {
  ws.send(JSON.stringify(message))
}

function fail(ws: WebSocket, id: Id | null, code: number, message: string): void {
  send(ws, { jsonrpc: '2.0', id, error: { code, message } })
}

function isOneString(params: unknown): params is [string] {
  return Array.isArray(params) && params.length === 1 && typeof params[0] === 'string'
}

/** Resolves when the TCP socket drains (or closes). */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done)
      socket.off('close', done)
      resolve()
    }
    socket.once('drain', done)
    socket.once('close', done)
  })
}

async function subscribe(ws: WebSocket, socket: Socket, id: Id, topic: string, subscriptions: Map<Id, Subscription>): Promise<void> {
  const subscription: Subscription = { cancelled: false, iterator: ticks(topic) }
  subscriptions.set(id, subscription)
  try {
    for (;;) {
      while (ws.bufferedAmount > HIGH_WATER_MARK && !subscription.cancelled) await drained(socket)
      if (subscription.cancelled) return
      const step = await subscription.iterator.next()
      if (subscription.cancelled) return
      if (step.done) return send(ws, { jsonrpc: '2.0', id, result: step.value ?? null })
      send(ws, { jsonrpc: '2.0', method: '$/next', params: { id, value: step.value } })
    }
  } catch {
    if (!subscription.cancelled) fail(ws, id, -32603, 'Internal error.')
  } finally {
    subscriptions.delete(id)
  }
}

function cancel(ws: WebSocket, subscription: Subscription | undefined, id: Id): void {
  if (!subscription || subscription.cancelled) return
  subscription.cancelled = true
  subscription.iterator.return(undefined).catch(() => {})
  fail(ws, id, -32800, 'Request cancelled.')
}

const server = createServer((_req, res) => res.writeHead(404).end())
const wss = new WebSocketServer({ server, path: '/ws', maxPayload: MAX_MESSAGE_SIZE, perMessageDeflate: false })

wss.on('connection', (ws, req) => {
  const socket = req.socket
  const subscriptions = new Map<Id, Subscription>()
  ws.on('message', (data, isBinary) => {
    if (isBinary) return fail(ws, null, -32700, 'Parse error.')
    let message: unknown
    try {
      message = JSON.parse(data.toString())
    } catch {
      return fail(ws, null, -32700, 'Parse error.')
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return fail(ws, null, -32600, 'Invalid request.')
    const { jsonrpc, id, method, params } = message as Record<string, unknown>
    const hasId = typeof id === 'string' || typeof id === 'number'
    if (jsonrpc !== '2.0' || typeof method !== 'string' || (id !== undefined && !hasId)) return fail(ws, hasId ? id : null, -32600, 'Invalid request.')
    switch (method) {
      case METHOD.getUser:
        if (!isOneString(params)) return hasId ? fail(ws, id, -32602, 'Invalid params.') : undefined
        return void getUser(params[0]).then(
          (result) => hasId && ws.readyState === ws.OPEN && send(ws, { jsonrpc: '2.0', id, result }),
          () => hasId && fail(ws, id, -32603, 'Internal error.'),
        )
      case METHOD.ticks:
        if (!hasId) return
        if (!isOneString(params)) return fail(ws, id, -32602, 'Invalid params.')
        if (subscriptions.has(id)) return fail(ws, id, -32600, 'Invalid request.')
        return void subscribe(ws, socket, id, params[0], subscriptions)
      case '$/cancel': {
        const target = (params as { id?: unknown } | undefined)?.id
        if (typeof target === 'string' || typeof target === 'number') cancel(ws, subscriptions.get(target), target)
        return
      }
      default:
        if (hasId) fail(ws, id, -32601, 'Method not found.')
    }
  })
  ws.on('close', () => {
    for (const subscription of subscriptions.values()) {
      subscription.cancelled = true
      subscription.iterator.return(undefined).catch(() => {})
    }
  })
  ws.on('error', () => {})
})

announceWebSocketServer(server, wss)
