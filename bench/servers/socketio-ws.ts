/**
 * Socket.IO 4.8 for the end-to-end client benchmark (`bench/client-ws.ts`), WebSocket transport
 * only. `echo` answers with an acknowledgement: the value, or `{ error }` when the hand-written
 * check refuses it. `ticks` emits one `tick` event per item of the shared generator, then
 * acknowledges the request with the number of items sent (an ack travels on the same socket, after
 * the events). Socket.IO has no backpressure: `emit` buffers whatever the socket cannot take yet.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { echo, parseCount, parseEcho, ticks, type Echo, type Tick } from '../lib/client-ws-work.js'
import { announce } from './work.js'

export type EchoAck = Echo | { error: string }
export type TicksAck = { count: number } | { error: string }

export interface ClientToServerEvents {
  echo(value: unknown, ack: (answer: EchoAck) => void): void
  ticks(count: unknown, ack: (answer: TicksAck) => void): void
}

export interface ServerToClientEvents {
  tick(item: Tick): void
}

const server = createServer((_req, res) => res.writeHead(404).end())
// 1 MiB messages at most and no compression, as wirerpc's defaults.
const io = new Server<ClientToServerEvents, ServerToClientEvents>(server, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  maxHttpBufferSize: 1024 * 1024,
})

io.on('connection', (socket) => {
  let open = true
  socket.on('disconnect', () => void (open = false))
  socket.on('echo', (value, ack) => {
    let checked: Echo
    try {
      checked = parseEcho(value)
    } catch (error) {
      return ack({ error: (error as Error).message })
    }
    void echo(checked).then(ack, () => ack({ error: 'Internal error.' }))
  })
  socket.on('ticks', (count, ack) => {
    let checked: number
    try {
      checked = parseCount(count)
    } catch (error) {
      return ack({ error: (error as Error).message })
    }
    void (async () => {
      let sent = 0
      for await (const item of ticks(checked)) {
        if (!open) return
        socket.emit('tick', item)
        sent++
      }
      ack({ count: sent })
    })().catch(() => ack({ error: 'Internal error.' }))
  })
})

server.listen(0, '127.0.0.1', () => {
  announce((server.address() as AddressInfo).port, async () => {
    io.disconnectSockets(true)
    await io.close()
  })
})
