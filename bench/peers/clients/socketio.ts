/** The socket.io-client 4.8 client, WebSocket transport only, one socket (`forceNew`) per connection. */
import { io, type Socket } from 'socket.io-client'
import type { Tick } from '../../lib/client-ws-work.js'
import { TOPIC, type FanMessage, type PeerClient, type PeerClientModule } from '../protocol.js'
import type { ClientToServer, ServerToClient } from '../servers/socketio.js'

type IoSocket = Socket<ServerToClient, ClientToServer>

async function open(url: string, room?: string): Promise<IoSocket> {
  const socket: IoSocket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 10_000, ...(room ? { query: { room } } : {}) })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', (error) => (socket.close(), reject(new Error(`socket.io: cannot connect to ${url}: ${error.message}`))))
  })
  return socket
}

function answered<T extends object>(answer: T | { error: string }): T {
  if ('error' in answer) throw new Error(`socket.io: ${answer.error}`)
  return answer
}

interface SocketIoPeerClient extends PeerClient {
  readonly socket: IoSocket
}

export const connect: PeerClientModule['connect'] = async (url) => {
  const socket = await open(url)
  const peer: SocketIoPeerClient = {
    socket,
    echo: async (value) => answered(await socket.emitWithAck('echo', value)),
    async stream(count, onItem: (item: Tick) => void) {
      socket.on('tick', onItem)
      try {
        answered(await socket.emitWithAck('ticks', count))
      } finally {
        socket.off('tick', onItem)
      }
    },
    close: async () => void socket.close(),
  }
  return peer
}

export const subscribe: PeerClientModule['subscribe'] = async (url, onMessage, onError) => {
  // The server joins the socket to the room during its handshake, before `connect` reaches us.
  const socket = await open(url, TOPIC)
  let closing = false
  socket.on('e', (message: FanMessage) => onMessage(message))
  socket.on('disconnect', (reason) => closing || onError(new Error(`socket.io: subscriber disconnected (${reason}).`)))
  return { close: async () => void ((closing = true), socket.close()) }
}

export const publish: PeerClientModule['publish'] = async (peer, round, count) => {
  const { count: published } = answered(await (peer as SocketIoPeerClient).socket.emitWithAck('publish', round, count))
  if (published !== count) throw new Error(`socket.io: published ${published}, expected ${count}.`)
}
