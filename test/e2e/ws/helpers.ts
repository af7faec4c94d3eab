// A raw `ws` client speaking the documented protocol, for the engine tests.
import { once } from 'node:events'
import { WebSocket } from 'ws'

export interface RawClient {
  socket: WebSocket
  /** Every frame received so far, parsed. */
  frames: unknown[]
  /**
   * Every message received so far: a frame, or each notification of a frame the server merged
   * (an array of `$/next` / `$/push`); the array answering a batch stays one entry.
   */
  messages: unknown[]
  send(message: unknown): void
  sendText(text: string): void
  /** Sends a request and resolves with its terminal response. */
  call(method: string, params?: unknown[], id?: number | string): Promise<Record<string, any>>
  /** Resolves with the first received message matching `predicate` (waiting up to `timeout` ms). */
  waitFor(predicate: (message: any) => boolean, timeout?: number): Promise<any>
  close(): Promise<void>
}

let nextId = 1000

export async function connect(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<RawClient> {
  const socket = new WebSocket(url, options)
  const frames: unknown[] = []
  const messages: unknown[] = []
  const waiters = new Set<{ predicate: (message: any) => boolean; resolve: (message: unknown) => void }>()
  const received = (message: unknown) => {
    messages.push(message)
    for (const waiter of waiters) {
      if (waiter.predicate(message)) {
        waiters.delete(waiter)
        waiter.resolve(message)
      }
    }
  }
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as unknown
    frames.push(frame)
    if (isMerged(frame)) frame.forEach(received)
    else received(frame)
  })
  await once(socket, 'open')
  const client: RawClient = {
    socket,
    frames,
    messages,
    send: (message) => socket.send(JSON.stringify(message)),
    sendText: (text) => socket.send(text),
    waitFor(predicate, timeout = 5000) {
      const found = messages.find(predicate)
      if (found !== undefined) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve: (message: unknown) => (clearTimeout(timer), resolve(message)) }
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(new Error(`No matching message within ${timeout} ms; received: ${JSON.stringify(messages).slice(-2000)}`))
        }, timeout)
        waiters.add(waiter)
      })
    },
    call(method, params, id = ++nextId) {
      client.send({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })
      return client.waitFor((message) => !Array.isArray(message) && message.id === id && ('result' in message || 'error' in message))
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return
      const closed = once(socket, 'close')
      socket.close()
      await closed
    },
  }
  return client
}

/** Is `frame` notifications merged by the server (not the array answering a batch, which holds responses)? */
export function isMerged(frame: unknown): frame is unknown[] {
  return Array.isArray(frame) && frame.every((message) => typeof message === 'object' && message !== null && 'method' in message)
}
