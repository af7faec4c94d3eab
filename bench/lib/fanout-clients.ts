/**
 * The clients of the fan-out benchmark (`bench/fanout.ts`), one module per stack behind the same
 * two functions: a subscriber (one connection of its own, subscribed to a topic or joined to a
 * room, calling `onMessage` for each message) and a publisher (a control connection that asks a
 * server instance to publish a round).
 */
import { io, type Socket } from 'socket.io-client'
import { connectionOf, defineClient, type Route } from 'wirerpc/client'
import type { ClientToServerEvents, ServerToClientEvents } from '../servers/socketio-fanout.js'
import type { FanoutMessage } from './fanout-work.js'

export interface FanoutSubscriber {
  close(): Promise<void>
}

export interface FanoutPublisher {
  /** Asks the instance to publish `count` messages `{ r: round, s }` on `topic`; resolves with its answer. */
  publish(topic: string, round: number, count: number): Promise<void>
  close(): Promise<void>
}

export interface FanoutStackClient {
  /** Resolves once the connection is open (the subscription may still be on its way: the benchmark probes). */
  subscribe(url: string, topic: string, onMessage: (message: FanoutMessage) => void, onError: (error: unknown) => void): Promise<FanoutSubscriber>
  publisher(url: string): Promise<FanoutPublisher>
}

const api = {
  events: { protocol: 'ws', pattern: 's', name: 'events', arity: 1 } as Route<(topic: string, options?: { signal?: AbortSignal }) => AsyncIterable<FanoutMessage>>,
  publish: { protocol: 'ws', pattern: 'r', name: 'publish', arity: 3 } as Route<
    (topic: string, round: number, count: number, options?: { signal?: AbortSignal; timeout?: number | false }) => Promise<number>
  >,
}

/** wirerpc: `defineClient`, one client (so one connection) per subscriber. */
export const wirerpcClient: FanoutStackClient = {
  async subscribe(url, topic, onMessage, onError) {
    const client = defineClient(api, { prefixUrl: url, timeout: false })
    const connection = connectionOf(client)
    const controller = new AbortController()
    void (async () => {
      for await (const message of client.events(topic, { signal: controller.signal })) onMessage(message)
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) onError(error)
    })
    await new Promise<void>((resolve, reject) => {
      if (connection.state === 'open') return resolve()
      const off = connection.onStateChange((state) => {
        if (state === 'open') {
          off()
          resolve()
        } else if (state === 'closed' || state === 'reconnecting') {
          off()
          reject(new Error(`wirerpc: cannot connect to ${url} (${state}).`))
        }
      })
    })
    return {
      async close() {
        controller.abort()
        connection.close()
      },
    }
  },
  async publisher(url) {
    const client = defineClient(api, { prefixUrl: url, timeout: false })
    return {
      async publish(topic, round, count) {
        const answer = await client.publish(topic, round, count)
        if (answer !== count) throw new Error(`wirerpc: the instance published ${answer} messages, expected ${count}.`)
      },
      async close() {
        connectionOf(client).close()
      },
    }
  },
}

type SocketIoSocket = Socket<ServerToClientEvents, ClientToServerEvents>

async function openSocket(url: string, room?: string): Promise<SocketIoSocket> {
  const socket: SocketIoSocket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
    ...(room !== undefined ? { query: { room } } : {}),
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', (error) => {
      socket.close()
      reject(new Error(`socket.io: cannot connect to ${url}: ${error.message}`))
    })
  })
  return socket
}

/** Socket.IO 4.8 client, WebSocket transport only, one socket (`forceNew`) per subscriber. */
export const socketIoClient: FanoutStackClient = {
  async subscribe(url, room, onMessage, onError) {
    const socket = await openSocket(url, room)
    let closing = false
    socket.on('e', onMessage)
    socket.on('disconnect', (reason) => {
      if (!closing) onError(new Error(`socket.io: subscriber disconnected (${reason}).`))
    })
    return {
      async close() {
        closing = true
        socket.close()
      },
    }
  },
  async publisher(url) {
    const socket = await openSocket(url)
    return {
      async publish(room, round, count) {
        const answer = await socket.emitWithAck('publish', room, round, count)
        if ('error' in answer) throw new Error(`socket.io: publish refused: ${answer.error}`)
        if (answer.count !== count) throw new Error(`socket.io: the instance published ${answer.count} messages, expected ${count}.`)
      },
      async close() {
        socket.close()
      },
    }
  },
}
