// Slow consumers against a fast producer (docs/reliability.md, "Slow consumers"): clients that read
// their socket at about 1 KB/s while a subscription yields 1 KB items as fast as it can. The
// server (a child process: fixtures-faults/server.ts, so that its RSS is its own) must bound what
// it holds for each of them (highWaterMark plus one message), grow its RSS by less than 150 MB,
// and keep answering healthy clients as fast as before. Then the same with our client and
// `$/credit` flow control (a small `wsWindow` and a consumer that takes its time).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { connectionOf, defineClient, type ClientOptions } from 'wirerpc/client'
import { spawnServer, type ServerProcess } from '../../bench/lib/spawn-server.js'
import { median, percentile, record, size, type Figure } from './harness.js'
import * as api from './support-faults-api.js'
import { connectRaw, type RawWs } from './support-faults-raw.js'

const HIGH_WATER_MARK = 256 * 1024 // the default, stated
const ITEM = 1024
/** One `$/next` frame of `flood(1024)`: the JSON message plus a 4-byte frame header (payload 126–65535 bytes). */
const MESSAGE = Buffer.byteLength(JSON.stringify({ jsonrpc: '2.0', method: '$/next', params: { id: 1, value: 'x'.repeat(ITEM) } })) + 4
const MB = 1024 * 1024

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`

const figures: Figure[] = []
let server: ServerProcess
let port: number
const clients: object[] = []

function client(options: ClientOptions<'reject'> = {}) {
  const made = defineClient(api, { prefixUrl: server.url, timeout: 30, ...options })
  clients.push(made)
  return made
}

beforeAll(async () => {
  // Pings far apart: a reader this slow would not see a ping in time (it queues behind 1 MB), and
  // this test is about memory and latency, not liveness.
  server = await spawnServer('slow-consumers', new URL('./fixtures-faults/server.ts', import.meta.url), 30_000, {
    SERVE_OPTIONS: JSON.stringify({ pingInterval: 600, pongTimeout: 60, highWaterMark: HIGH_WATER_MARK, maxSubscriptions: 100 }),
  })
  port = Number(new URL(server.url).port)
})

afterAll(async () => {
  for (const made of clients.splice(0)) connectionOf(made).close()
  await server?.stop()
  record('slow-consumers', figures)
})

/** Sequential requests from `count` clients for `ms`; the latency of each, in ms. */
async function healthyLatencies(healthy: ReturnType<typeof client>[], ms: number): Promise<number[]> {
  const latencies: number[] = []
  const until = Date.now() + ms
  await Promise.all(
    healthy.map(async (c, n) => {
      for (let i = 0; Date.now() < until; i++) {
        const started = performance.now()
        const user = await c.getUserData(`${n}-${i}`)
        latencies.push(performance.now() - started)
        if (user.id !== `${n}-${i}`) throw new Error(`wrong answer ${JSON.stringify(user)}`)
        await sleep(5)
      }
    }),
  )
  return latencies
}

describe('clients reading at 1 KB/s from a producer yielding 1 KB items as fast as it can', () => {
  const SLOW = size(10, 100)
  const HEALTHY = 3
  const BASELINE_MS = size(2000, 5000)
  const FILL_MS = size(2000, 8000)
  const LOADED_MS = size(3000, 15_000)

  it(`bounds what the server holds for each of ${SLOW} slow readers, and healthy clients stay as fast`, async () => {
    const stats = client()
    const healthy = Array.from({ length: HEALTHY }, () => client())
    await healthyLatencies(healthy, 500) // warm-up: connections, JIT
    const baseline = await healthyLatencies(healthy, BASELINE_MS)
    const before = await stats.serverStats(true)

    const readers: RawWs[] = []
    for (let i = 0; i < SLOW; i++) {
      const reader = await connectRaw(port)
      reader.send({ jsonrpc: '2.0', id: 1, method: 'flood', params: [ITEM] })
      reader.readSlowly(1024)
      readers.push(reader)
    }
    await vi.waitFor(async () => expect((await stats.serverStats()).floodOpen).toBe(SLOW), { timeout: 10_000 })
    await sleep(FILL_MS) // the producers run until each connection's buffers are full
    const filled = await stats.serverStats()
    const loaded = await healthyLatencies(healthy, LOADED_MS)
    const during = await stats.serverStats()
    const readBytes = readers.map((reader) => reader.bytesRead)
    for (const reader of readers) reader.close()
    await vi.waitFor(async () => expect((await stats.serverStats()).floodOpen).toBe(0), { timeout: 10_000 })
    await sleep(500)
    const after = await stats.serverStats()

    const growth = during.rssPeak - before.rss
    const basP99 = percentile(baseline, 99)
    const loadP99 = percentile(loaded, 99)
    const allowed = Math.max(2 * basP99, basP99 + 20)
    const bound = HIGH_WATER_MARK + MESSAGE
    figures.push({
      section: 'slow consumers',
      test: 'slow readers (raw TCP, socket paused, 1 KB/s) on a producer of 1 KB items, plus 3 healthy clients doing sequential requests; server in its own process',
      load: `${SLOW} slow readers for ${(FILL_MS + LOADED_MS) / 1000} s (highWaterMark ${HIGH_WATER_MARK / 1024} KiB); healthy p99 over ${baseline.length} requests before, ${loaded.length} during (measured after a ${FILL_MS / 1000} s fill)`,
      result:
        `server RSS ${mb(before.rss)} before, peak ${mb(during.rssPeak)} (+${mb(growth)}, limit +150 MB), ${mb(after.rss)} after; ` +
        `while loaded: heap ${mb(during.heapUsed)} used of ${mb(during.heapTotal)}, Buffers ${mb(during.arrayBuffers)}, bytes queued on sockets ${mb(during.buffered)}; ` +
        `most bytes held for one connection ${during.bufferedPeak} (limit highWaterMark + one message = ${bound}); ` +
        `healthy p99 ${basP99.toFixed(1)} ms before, ${loadP99.toFixed(1)} ms during (limit max(2×, +20 ms) = ${allowed.toFixed(1)} ms), median ${median(baseline).toFixed(1)} → ${median(loaded).toFixed(1)} ms; ` +
        `server event-loop delay p99 ${during.loopDelay.p99.toFixed(1)} ms; ${during.floodYields - before.floodYields} items produced, ${Math.round(median(readBytes) / 1024)} KB read per slow reader`,
    })
    // Every slow reader was served until it left, and the server got its memory back under control.
    expect(filled.floodOpen).toBe(SLOW)
    expect(during.connections).toBe(HEALTHY + 1 + SLOW)
    expect(after.connections).toBe(HEALTHY + 1)
    // Backpressure really engaged: the readers were slower than the producer, and the server held
    // no more than highWaterMark plus one message for any of them.
    expect(during.bufferedPeak).toBeGreaterThan(HIGH_WATER_MARK / 2)
    expect(during.bufferedPeak).toBeLessThanOrEqual(bound)
    expect(growth).toBeLessThan(150 * MB)
    expect(loadP99).toBeLessThanOrEqual(allowed)
  }, size(60_000, 180_000))
})

describe('our client with $/credit flow control, and consumers that take their time', () => {
  const CONSUMERS = size(3, 10)
  const WINDOW = 16
  const DURATION = size(3000, 10_000)

  it(`keeps each subscription within its window: the server pulls no more than was read + ${WINDOW}, and nothing overflows`, async () => {
    const stats = client()
    const before = await stats.serverStats(true)
    // The window (docs/protocol.md, "$/credit"): the items the client lets the server send ahead,
    // set on the client (`wsWindow`) for half of the consumers, on the call (`window`) for the others.
    const consumers = Array.from({ length: CONSUMERS }, (_, n) => (n % 2 ? client() : client({ wsWindow: WINDOW })))
    const consumed = consumers.map(() => 0)
    const until = Date.now() + DURATION
    await Promise.all(
      consumers.map(async (c, n) => {
        for await (const item of n % 2 ? c.flood(ITEM, { window: WINDOW }) : c.flood(ITEM)) {
          expect(item).toHaveLength(ITEM)
          consumed[n]!++
          if (Date.now() > until) break
          await sleep(10) // a consumer ten times slower than the producer, at least
        }
      }),
    )
    const during = await stats.serverStats()
    await vi.waitFor(async () => expect((await stats.serverStats()).floodOpen).toBe(0), { timeout: 10_000 })
    const produced = during.floodYields - before.floodYields
    const read = consumed.reduce((sum, count) => sum + count, 0)
    const bound = HIGH_WATER_MARK + MESSAGE
    figures.push({
      section: 'slow consumers',
      test: `our client with flow control (window ${WINDOW}: wsWindow on half of the clients, the call's window on the others), each consumer waiting 10 ms between items of 1 KB`,
      load: `${CONSUMERS} connections × 1 subscription for ${DURATION / 1000} s`,
      result: `${read} items read, ${produced} produced by the server (limit read + ${WINDOW + 1} per subscription = ${read + CONSUMERS * (WINDOW + 1)}); most bytes held for one connection ${during.bufferedPeak} (limit ${bound}); no BufferOverflowError`,
    })
    expect(Math.min(...consumed)).toBeGreaterThan(DURATION / 1000 / 0.05) // read at least 20 items a second
    expect(produced).toBeLessThanOrEqual(read + CONSUMERS * (WINDOW + 1))
    expect(during.bufferedPeak).toBeLessThanOrEqual(bound)
  }, 60_000)
})
