/** The tRPC 11 client of the end-to-end benchmark: `createTRPCClient` over `wsLink`. */
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client'
import { WebSocket } from 'ws'
import type { AppRouter } from '../servers/trpc-ws.js'
import { TickChecker, type Connect } from './client-ws-client.js'

export const connect: Connect = async (url) => {
  const wsClient = createWSClient({
    url: url.replace(/^http/, 'ws'),
    // Node 20 has no global WebSocket; `ws` is what wirerpc's client falls back to as well.
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  })
  const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] })
  return {
    echo: (value) => client.echo.query(value),
    async stream(count) {
      const checker = new TickChecker(count)
      for await (const item of client.ticks.subscribe(count)) checker.item(item)
      checker.end()
    },
    close: () => wsClient.close(),
  }
}
