// The client manifest of the reliability fixtures: the WebSocket test routes
// (test/client/ws/api.ts) plus fixtures-faults/routes.ts, as the generator would emit it.
import type * as wirerpc from 'wirerpc/client'

export * from '../client/ws/api.js'

/** What `serverStats` returns (fixtures-faults/server.ts). */
export interface ServerStats {
  rss: number
  heapUsed: number
  heapTotal: number
  /** Memory of Buffers (socket write queues among them). */
  arrayBuffers: number
  rssPeak: number
  bufferedPeak: number
  buffered: number
  sockets: number
  connections: number
  opened: number
  closed: number
  pongTimeouts: number
  frameErrors: number
  errors: number
  closeCodes: Record<string, number>
  loopDelay: { p50: number; p99: number; max: number }
  floodYields: number
  floodOpen: number
  held: number
}

export const flood = { protocol: 'ws', pattern: 's', name: 'flood', arity: 1 } as wirerpc.Route<
  (size: number, options?: wirerpc.WsSubscribeOptions) => wirerpc.Subscription<string>
>
export const serverStats = { protocol: 'ws', pattern: 'r', name: 'serverStats', arity: 1 } as wirerpc.Route<
  (reset?: boolean, options?: wirerpc.WsRequestOptions) => Promise<ServerStats>
>
