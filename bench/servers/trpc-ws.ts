/**
 * tRPC 11 over WebSocket for the end-to-end client benchmark (`bench/client-ws.ts`): a `ws`
 * server with `applyWSSHandler`, an `echo` query whose input is checked by a plain function, and a
 * `ticks` subscription that is an async generator. Any path is served; the client connects to
 * `ws://127.0.0.1:<port>/`.
 */
import { createServer } from 'node:http'
import { initTRPC } from '@trpc/server'
import { applyWSSHandler } from '@trpc/server/adapters/ws'
import { WebSocketServer } from 'ws'
import { echo, parseCount, parseEcho, ticks } from '../lib/client-ws-work.js'
import { announceWebSocketServer } from './work.js'

const t = initTRPC.create()

export const appRouter = t.router({
  echo: t.procedure.input(parseEcho).query(({ input }) => echo(input)),
  ticks: t.procedure.input(parseCount).subscription(async function* ({ input }) {
    yield* ticks(input)
  }),
})

export type AppRouter = typeof appRouter

// The client imports only the router's type (`import type`), so this module runs only as the server.
const server = createServer((_req, res) => res.writeHead(404).end())
// 1 MiB messages at most and no compression, as wirerpc's defaults.
const wss = new WebSocketServer({ server, maxPayload: 1024 * 1024, perMessageDeflate: false })
applyWSSHandler({ wss, router: appRouter })
announceWebSocketServer(server, wss)
