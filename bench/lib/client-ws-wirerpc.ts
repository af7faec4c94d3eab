/**
 * The wirerpc client of the end-to-end benchmark: `defineClient` with a hand-written client
 * manifest (what the generator would emit for the routes of `bench/servers/wirerpc-client-ws.ts`).
 */
import { connectionOf, defineClient, type Route } from 'wirerpc/client'
import { TickChecker, type Connect } from './client-ws-client.js'
import type { Echo, Tick } from './client-ws-work.js'

const api = {
  echo: { protocol: 'ws', pattern: 'r', name: 'echo', arity: 1 } as Route<(value: Echo, options?: { signal?: AbortSignal; timeout?: number | false }) => Promise<Echo>>,
  ticks: { protocol: 'ws', pattern: 's', name: 'ticks', arity: 1 } as Route<(count: number, options?: { signal?: AbortSignal }) => AsyncIterable<Tick>>,
}

export const connect: Connect = async (url) => {
  // No per-call timeout, as the other two clients (a timeout would start a timer per call).
  const client = defineClient(api, { prefixUrl: url, timeout: false })
  return {
    echo: (value) => client.echo(value),
    async stream(count) {
      const checker = new TickChecker(count)
      for await (const item of client.ticks(count)) checker.item(item)
      checker.end()
    },
    async close() {
      connectionOf(client).close()
    },
  }
}
