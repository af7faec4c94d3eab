/**
 * rpc-websockets 10 (JSON-RPC 2.0): `echo` and `publish` methods, and streams through its events:
 * a client subscribes to `tick` or `e` (`rpc.on`); `ticks(count)` emits `count` `tick` events and
 * then answers with the count (the answer follows the notifications on the socket), `publish`
 * emits `e` events. Events go to every socket subscribed to them, one `JSON.stringify` per socket.
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { Server } from 'rpc-websockets'
import { echo, parseCount, parseEcho, ticks } from '../../lib/client-ws-work.js'
import { TOPIC, type FanMessage } from '../protocol.js'
import { hostServer } from '../server-host.js'

const server = new Server({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 1024 * 1024 })
server.event('tick')
server.event(TOPIC)

/** rpc-websockets types a method as returning void, but it awaits what the method returns and sends that as the result. */
const method = (fn: (params: unknown) => unknown) => fn as (params: unknown) => void

server.register('echo', method((params) => echo(parseEcho(params))))
server.register('ticks', method(async (params) => {
  let sent = 0
  for await (const item of ticks(parseCount((params as unknown[])[0]))) {
    server.emit('tick', item)
    sent++
  }
  return sent
}))
server.register('publish', (params) => {
  const [r, count] = params as [number, number]
  for (let s = 0; s < count; s++) server.emit(TOPIC, { r, s } satisfies FanMessage)
  return count
})

if (!server.wss.address()) await once(server.wss, 'listening')
hostServer((server.wss.address() as AddressInfo).port, () => server.close())
