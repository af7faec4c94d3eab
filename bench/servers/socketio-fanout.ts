/**
 * Socket.IO 4.8 with `@socket.io/redis-adapter` for the fan-out benchmark (`bench/fanout.ts`),
 * one instance of several sharing one Redis (`REDIS_URL`), WebSocket transport only.
 *
 * - A socket that connects with `?room=<room>` joins that room.
 * - `publish(room, round, count, ack)` emits `count` events `e` `{ r: round, s }` to the room
 *   (s = 0 … count − 1) with `io.to(room).emit`, then acknowledges with `count`. The adapter
 *   delivers them to this instance's members at once and publishes them on Redis Pub/Sub, where
 *   the other instances receive them for theirs.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdapter } from '@socket.io/redis-adapter'
import { createClient } from 'redis'
import { Server } from 'socket.io'
import { parsePublish, type FanoutMessage } from '../lib/fanout-work.js'
import { announce } from './work.js'

export interface ClientToServerEvents {
  publish(room: unknown, round: unknown, count: unknown, ack: (answer: { count: number } | { error: string }) => void): void
}

export interface ServerToClientEvents {
  e(message: FanoutMessage): void
}

const redisUrl = process.env['REDIS_URL']
if (!redisUrl) throw new Error('socketio-fanout: REDIS_URL is not set.')

// node-redis 6's 5 s command timeout off, as in wirerpc-fanout.ts (a saturated instance exceeds it).
const pubClient = createClient({ url: redisUrl, commandOptions: { timeout: 0 } })
const subClient = pubClient.duplicate()
for (const client of [pubClient, subClient]) client.on('error', (error) => console.error('socketio-fanout redis:', error))
await Promise.all([pubClient.connect(), subClient.connect()])

const server = createServer((_req, res) => res.writeHead(404).end())
// 1 MiB messages at most and no compression, as wirerpc's defaults; the adapter as its README shows.
const io = new Server<ClientToServerEvents, ServerToClientEvents>(server, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  maxHttpBufferSize: 1024 * 1024,
  adapter: createAdapter(pubClient, subClient, { key: process.env['FANOUT_ADAPTER_KEY'] ?? 'socket.io' }),
})

io.on('connection', (socket) => {
  const room = socket.handshake.query['room']
  if (typeof room === 'string' && room.length > 0) void socket.join(room)
  socket.on('publish', (roomArg, roundArg, countArg, ack) => {
    let checked: ReturnType<typeof parsePublish>
    try {
      checked = parsePublish(roomArg, roundArg, countArg)
    } catch (error) {
      return ack({ error: (error as Error).message })
    }
    const { topic, round, count } = checked
    for (let s = 0; s < count; s++) io.to(topic).emit('e', { r: round, s })
    ack({ count })
  })
})

server.listen(0, '127.0.0.1', () => {
  announce((server.address() as AddressInfo).port, async () => {
    io.disconnectSockets(true)
    await io.close()
    await Promise.allSettled([pubClient.close(), subClient.close()])
  })
})
