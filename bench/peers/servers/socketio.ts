/**
 * Socket.IO 4.8, WebSocket transport only: `echo` and `publish` answer with acknowledgements;
 * `ticks` emits one `tick` event per item, then acknowledges with the count (the ack follows the
 * events on the same socket); a socket that connects with `?room=news` joins that room, and
 * `publish` emits to it with `io.to(room).emit`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { echo, parseCount, parseEcho, ticks, type Echo, type Tick } from '../../lib/client-ws-work.js'
import { TOPIC, type FanMessage } from '../protocol.js'
import { hostServer } from '../server-host.js'

type Ack<T> = (answer: T | { error: string }) => void

export interface ClientToServer {
  echo(value: unknown, ack: Ack<Echo>): void
  ticks(count: unknown, ack: Ack<{ count: number }>): void
  publish(round: unknown, count: unknown, ack: Ack<{ count: number }>): void
}
export interface ServerToClient {
  tick(item: Tick): void
  e(message: FanMessage): void
}

const server = createServer((_req, res) => res.writeHead(404).end())
const io = new Server<ClientToServer, ServerToClient>(server, { transports: ['websocket'], serveClient: false, perMessageDeflate: false, maxHttpBufferSize: 1024 * 1024 })

io.on('connection', (socket) => {
  if (socket.handshake.query['room'] === TOPIC) void socket.join(TOPIC)
  socket.on('echo', (value, ack) => {
    try {
      void echo(parseEcho(value)).then(ack)
    } catch (error) {
      ack({ error: (error as Error).message })
    }
  })
  socket.on('ticks', (count, ack) => {
    void (async () => {
      let sent = 0
      for await (const item of ticks(parseCount(count))) {
        if (!socket.connected) return
        socket.emit('tick', item)
        sent++
      }
      ack({ count: sent })
    })().catch((error: unknown) => ack({ error: String(error) }))
  })
  socket.on('publish', (round, count, ack) => {
    if (typeof round !== 'number' || typeof count !== 'number') return ack({ error: 'Expected numbers.' })
    for (let s = 0; s < count; s++) io.to(TOPIC).emit('e', { r: round, s })
    ack({ count })
  })
})

server.listen(0, '127.0.0.1', () =>
  hostServer((server.address() as AddressInfo).port, async () => {
    io.disconnectSockets(true)
    await io.close()
  }),
)
