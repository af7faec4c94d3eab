/**
 * Drives WebSocket load with the `ws` client, one connection per run: requests with a fixed number
 * in flight (1 for sequential calls), and one subscription counted item by item. Both speak the
 * JSON-RPC messages of docs/protocol.md, which the two benchmark servers answer byte for byte
 * alike.
 */
import { once } from 'node:events'
import { createHistogram } from 'node:perf_hooks'
import { WebSocket } from 'ws'

export interface CallLoadResult {
  /** Calls answered within the measured window, per second. */
  readonly rate: number
  /** Latency percentiles (send to answer) in milliseconds. */
  readonly p50: number
  readonly p99: number
  readonly calls: number
  readonly seconds: number
}

export interface SubscriptionLoadResult {
  /** `$/next` items received within the measured window, per second. */
  readonly rate: number
  readonly items: number
  readonly seconds: number
}

/** Opens a socket (no compression, as both servers) within `timeoutMs`. */
export async function openSocket(url: string, timeoutMs = 10_000): Promise<WebSocket> {
  const socket = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true })
  const timer = setTimeout(() => socket.terminate(), timeoutMs)
  try {
    await once(socket, 'open')
    return socket
  } catch (error) {
    throw new Error(`Cannot open ${url}: ${(error as Error).message}`)
  } finally {
    clearTimeout(timer)
  }
}

export async function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return
  const closed = once(socket, 'close')
  const timer = setTimeout(() => socket.terminate(), 5_000)
  socket.close()
  await closed
  clearTimeout(timer)
}

/** Sends one request and resolves with its terminal response (for the equivalence checks). */
export async function callOnce(url: string, method: string, params: unknown[]): Promise<Record<string, unknown>> {
  const socket = await openSocket(url)
  try {
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))
    const [data] = (await once(socket, 'message', { signal: AbortSignal.timeout(10_000) })) as [Buffer]
    return JSON.parse(data.toString()) as Record<string, unknown>
  } finally {
    await closeSocket(socket)
  }
}

/** Opens a subscription, keeps its first `count` items, cancels it; resolves with the items and the terminal response. */
export async function subscribeOnce(url: string, method: string, params: unknown[], count: number): Promise<{ items: unknown[]; terminal: Record<string, unknown> }> {
  const socket = await openSocket(url)
  const items: unknown[] = []
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no ${count} items and terminal response within 10 s.`)), 10_000)
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { method?: string; params?: { id: unknown; value: unknown } }
        if (message.method === '$/next') {
          if (items.length < count) items.push(message.params)
          if (items.length === count) socket.send(JSON.stringify({ jsonrpc: '2.0', method: '$/cancel', params: { id: 1 } }))
          return
        }
        clearTimeout(timer)
        resolve({ items, terminal: message as Record<string, unknown> })
      })
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))
    })
  } finally {
    await closeSocket(socket)
  }
}

/**
 * Keeps `inFlight` requests outstanding on one connection for `duration` seconds: each answer
 * sends the next request. Counts the calls answered within the window; an error answer fails the
 * run. Latencies are recorded in nanoseconds, reported in milliseconds.
 */
export async function runCalls(url: string, options: { method: string; params: unknown[]; inFlight: number; duration: number }): Promise<CallLoadResult> {
  const { method, inFlight, duration } = options
  const params = JSON.stringify(options.params)
  const socket = await openSocket(url)
  const latency = createHistogram()
  const sentAt = new Map<number, bigint>()
  let nextId = 0
  let calls = 0
  let measuring = true
  let started = 0
  let ended = 0
  try {
    await new Promise<void>((resolve, reject) => {
      const watchdog = setTimeout(() => reject(new Error(`${method}: the run did not end within ${duration + 15} s.`)), (duration + 15) * 1000)
      const finish = (error?: Error) => {
        clearTimeout(watchdog)
        clearTimeout(stop)
        if (error) reject(error)
        else resolve()
      }
      const sendOne = () => {
        const id = ++nextId
        sentAt.set(id, process.hrtime.bigint())
        socket.send(`{"jsonrpc":"2.0","id":${id},"method":"${method}","params":${params}}`)
      }
      socket.on('message', (data: Buffer) => {
        const now = process.hrtime.bigint()
        const message = JSON.parse(data.toString()) as { id: number; result?: unknown; error?: unknown }
        const sent = sentAt.get(message.id)
        if (sent === undefined) return finish(new Error(`${method}: an answer to unknown id ${JSON.stringify(message.id)}: ${data.toString().slice(0, 200)}`))
        sentAt.delete(message.id)
        if (message.error !== undefined) return finish(new Error(`${method}: error answer ${JSON.stringify(message.error)}`))
        if (measuring) {
          calls++
          latency.record(Math.max(1, Number(now - sent)))
          sendOne()
        } else if (sentAt.size === 0) finish()
      })
      socket.once('close', (code) => finish(new Error(`${method}: the server closed the connection (${code}).`)))
      const stop = setTimeout(() => {
        measuring = false
        ended = performance.now()
        if (sentAt.size === 0) finish()
      }, duration * 1000)
      started = performance.now()
      for (let i = 0; i < inFlight; i++) sendOne()
    })
  } finally {
    socket.removeAllListeners('close')
    await closeSocket(socket)
  }
  const seconds = (ended - started) / 1000
  return { rate: calls / seconds, p50: latency.percentile(50) / 1e6, p99: latency.percentile(99) / 1e6, calls, seconds }
}

const NEXT = Buffer.from('{"jsonrpc":"2.0","method":"$/next","params":{"id":1,"value":')

/**
 * Opens one subscription and counts its `$/next` items for `duration` seconds, then cancels it and
 * waits for its terminal response (`-32800`). Items are recognised by their first bytes; the first
 * one is parsed and checked in full.
 */
export async function runSubscription(url: string, options: { method: string; params: unknown[]; duration: number; check: (value: unknown) => void }): Promise<SubscriptionLoadResult> {
  const { method, duration } = options
  const socket = await openSocket(url)
  let items = 0
  let measuring = true
  let started = 0
  let ended = 0
  try {
    await new Promise<void>((resolve, reject) => {
      const watchdog = setTimeout(
        () => reject(new Error(`${method}: no terminal response within ${duration + 15} s (was $/cancel read? a generator that never yields to the event loop keeps it unread).`)),
        (duration + 15) * 1000,
      )
      const finish = (error?: Error) => {
        clearTimeout(watchdog)
        clearTimeout(stop)
        if (error) reject(error)
        else resolve()
      }
      socket.on('message', (data: Buffer) => {
        if (data.length > NEXT.length && data.compare(NEXT, 0, NEXT.length, 0, NEXT.length) === 0) {
          if (!measuring) return
          if (items++ === 0) {
            try {
              options.check((JSON.parse(data.toString()) as { params: { value: unknown } }).params.value)
            } catch (error) {
              return finish(error as Error)
            }
          }
          return
        }
        const message = JSON.parse(data.toString()) as { id?: unknown; error?: { code?: number } }
        if (message.id === 1 && message.error?.code === -32800 && !measuring) return finish()
        finish(new Error(`${method}: unexpected message ${data.toString().slice(0, 200)}`))
      })
      socket.once('close', (code) => finish(new Error(`${method}: the server closed the connection (${code}).`)))
      const stop = setTimeout(() => {
        measuring = false
        ended = performance.now()
        socket.send('{"jsonrpc":"2.0","method":"$/cancel","params":{"id":1}}')
      }, duration * 1000)
      started = performance.now()
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: options.params }))
    })
  } finally {
    socket.removeAllListeners('close')
    await closeSocket(socket)
  }
  const seconds = (ended - started) / 1000
  return { rate: items / seconds, items, seconds }
}
