// The WebSocket test routes plus ./routes.ts in a process of their own, for the slow-consumer
// tests and the soak (test/reliability). Prints `listening <url>` (bench/lib/spawn-server.ts) and
// measures itself: RSS (sampled every 50 ms, with its peak), event-loop delay
// (perf_hooks.monitorEventLoopDelay), WebSocket connections opened/closed (from the logger), bytes
// buffered per upgraded socket (their peak), onError calls. The `serverStats` route returns them.
// Options: SERVE_OPTIONS, JSON merged into serve()'s options (pingInterval, highWaterMark…).
import type { Duplex } from 'node:stream'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { serve } from 'wirerpc/node'
import type { ServerManifest } from 'wirerpc/service'
import { announce } from '../../../bench/servers/work.js'
import testManifest from '../../e2e/ws/manifest.js'
import { held } from '../../e2e/ws/routes.js'
import { figures } from './routes.js'

const routes = () => import('./routes.js')
const manifest = [
  ...testManifest,
  {
    protocol: 'ws',
    name: 'flood',
    pattern: 's',
    paramsSchema: { type: 'array', prefixItems: [{ type: 'number' }], items: false, minItems: 1, maxItems: 1 },
    import: async () => (await routes()).flood,
  },
  {
    protocol: 'ws',
    name: 'serverStats',
    pattern: 'r',
    paramsSchema: { type: 'array', prefixItems: [{ type: 'boolean' }], items: false, minItems: 0, maxItems: 1 },
    import: async () => (await routes()).serverStats,
  },
] satisfies ServerManifest

const counts = { opened: 0, closed: 0, pongTimeouts: 0, frameErrors: 0, errors: 0, closeCodes: {} as Record<string, number> }
const logger = {
  info(_message: string, fields?: Record<string, unknown>) {
    if (fields?.['event'] === 'ws.open') counts.opened++
    if (fields?.['event'] === 'ws.close') {
      counts.closed++
      const code = String(fields['code'])
      counts.closeCodes[code] = (counts.closeCodes[code] ?? 0) + 1
    }
  },
  warn(_message: string, fields?: Record<string, unknown>) {
    if (fields?.['event'] === 'ws.pong-timeout') counts.pongTimeouts++
    if (fields?.['event'] === 'ws.frame-error') counts.frameErrors++
  },
  error() {
    counts.errors++
  },
}

const options = JSON.parse(process.env['SERVE_OPTIONS'] ?? '{}') as Record<string, unknown>
const server = await serve(manifest, { port: Number(process.env['PORT'] ?? 0), hostname: '127.0.0.1', logger, onError: () => void counts.errors++, ...options })

// Upgraded sockets, to read how many bytes the server holds for each connection.
const sockets = new Set<Duplex & { writableLength: number }>()
server.server.on('upgrade', (_request, socket: Duplex & { writableLength: number }) => {
  sockets.add(socket)
  socket.once('close', () => sockets.delete(socket))
})

const loop = monitorEventLoopDelay({ resolution: 10 })
loop.enable()
let rssPeak = 0
let bufferedPeak = 0
const sample = () => {
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss())
  for (const socket of sockets) bufferedPeak = Math.max(bufferedPeak, socket.writableLength)
}
setInterval(sample, 50).unref()

figures.read = (reset) => {
  sample()
  let buffered = 0
  for (const socket of sockets) buffered += socket.writableLength
  const memory = process.memoryUsage()
  const result = {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    arrayBuffers: memory.arrayBuffers,
    rssPeak,
    /** Largest number of bytes one connection's socket held, since the last reset. */
    bufferedPeak,
    /** Bytes held by every socket now. */
    buffered,
    sockets: sockets.size,
    connections: counts.opened - counts.closed,
    ...counts,
    closeCodes: { ...counts.closeCodes },
    loopDelay: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    floodYields: figures.floodYields,
    floodOpen: figures.floodOpen,
    held: held.open,
  }
  if (reset) {
    rssPeak = 0
    bufferedPeak = 0
    loop.reset()
  }
  return result
}

announce(server.port, () => server.close())
