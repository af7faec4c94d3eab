/**
 * tRPC 11 over `ws` (`applyWSSHandler`), any path: an `echo` query, a `ticks` async-generator
 * subscription, an `events` subscription fed by an EventEmitter (`on(emitter, …)`, as tRPC's docs
 * show) and a `publish` mutation that emits on it.
 */
import { EventEmitter, on } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { initTRPC } from '@trpc/server'
import { applyWSSHandler } from '@trpc/server/adapters/ws'
import { WebSocketServer } from 'ws'
import { echo, parseCount, parseEcho, ticks } from '../../lib/client-ws-work.js'
import { TOPIC, type FanMessage } from '../protocol.js'
import { hostServer } from '../server-host.js'

const t = initTRPC.create()
const emitter = new EventEmitter()
// 500 subscribers listen on one event: not a leak.
emitter.setMaxListeners(0)

const parsePublish = (value: unknown) => {
  const { round, count } = (value ?? {}) as { round?: unknown; count?: unknown }
  if (typeof round !== 'number' || typeof count !== 'number') throw new TypeError('Expected { round, count }.')
  return { round, count }
}

export const appRouter = t.router({
  echo: t.procedure.input(parseEcho).query(({ input }) => echo(input)),
  ticks: t.procedure.input(parseCount).subscription(async function* ({ input }) {
    yield* ticks(input)
  }),
  events: t.procedure.subscription(async function* ({ signal }) {
    for await (const [message] of on(emitter, TOPIC, { signal })) yield message as FanMessage
  }),
  publish: t.procedure.input(parsePublish).mutation(({ input }) => {
    for (let s = 0; s < input.count; s++) emitter.emit(TOPIC, { r: input.round, s } satisfies FanMessage)
    return input.count
  }),
})
export type AppRouter = typeof appRouter

const server = createServer((_req, res) => res.writeHead(404).end())
const wss = new WebSocketServer({ server, maxPayload: 1024 * 1024, perMessageDeflate: false })
applyWSSHandler({ wss, router: appRouter })

server.listen(0, '127.0.0.1', () =>
  hostServer((server.address() as AddressInfo).port, async () => {
    for (const ws of wss.clients) ws.terminate()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }),
)
