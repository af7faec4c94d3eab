/**
 * The Socket.IO 4.8 client of the end-to-end benchmark, WebSocket transport only: echo with
 * `emitWithAck`, and a stream of `tick` events ended by the acknowledgement of the `ticks` request.
 */
import { io, type Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents } from '../servers/socketio-ws.js'
import { TickChecker, type Connect } from './client-ws-client.js'
import type { Tick } from './client-ws-work.js'

export const connect: Connect = async (url) => {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 10_000 })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', (error) => {
      socket.close()
      reject(new Error(`socket.io: cannot connect to ${url}: ${error.message}`))
    })
  })
  return {
    async echo(value) {
      const answer = await socket.emitWithAck('echo', value)
      if ('error' in answer) throw new Error(`echo refused: ${answer.error}`)
      return answer
    },
    async stream(count) {
      const checker = new TickChecker(count)
      let failure: unknown
      const onTick = (item: Tick) => {
        try {
          checker.item(item)
        } catch (error) {
          failure ??= error
        }
      }
      socket.on('tick', onTick)
      try {
        const answer = await socket.emitWithAck('ticks', count)
        if (failure) throw failure
        if ('error' in answer) throw new Error(`ticks refused: ${answer.error}`)
        checker.end()
        if (answer.count !== count) throw new Error(`ticks: the server sent ${answer.count} items, expected ${count}.`)
      } finally {
        socket.off('tick', onTick)
      }
    },
    async close() {
      socket.close()
    },
  }
}
