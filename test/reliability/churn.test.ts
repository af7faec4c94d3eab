// Connection churn (docs/reliability.md, "Churn"): many connect → request → subscribe (take one
// item) → disconnect cycles, several at a time, against the WebSocket test routes in a child
// process run with --expose-gc. Afterwards the server holds what it held before: no connection,
// no generator, no extra timer or handle, and its heap after gc() within a few MB of the baseline.
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { MODE, record, size } from './harness.js'
import { startServerProcess, type ServerChild, type ServerStats } from './support-process.js'
import { MiB, mib, sleep } from './support-util.js'

const CYCLES = size(2_000, 100_000)
const PARALLEL = 20
const WARM_UP = 500
/** Heap after gc() may grow by this much at most (allocator pools, JIT code, caches). */
const HEAP_MARGIN = 6 * MiB
/** Timers and handles may differ from the baseline by this much (a timer scheduled at the moment of the snapshot). */
const RESOURCE_MARGIN = 2

/** One cycle: connect, request, subscribe and take one item, disconnect. Resolves once the socket closed. */
async function cycle(url: string, i: number): Promise<void> {
  const socket = new WebSocket(url)
  const closed = once(socket, 'close')
  try {
    await once(socket, 'open')
    const waitFor = (predicate: (message: any) => boolean) =>
      new Promise<any>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`cycle ${i}: no answer within 10 s`)), 10_000)
        const onMessage = (data: Buffer) => {
          const frame = JSON.parse(data.toString()) as unknown
          // Items may come merged into one array frame (docs/protocol.md, "Communication").
          const message = (Array.isArray(frame) ? frame : [frame]).find(predicate)
          if (message === undefined) return
          clearTimeout(timer)
          socket.off('message', onMessage)
          resolve(message)
        }
        socket.on('message', onMessage)
      })
    const answer = waitFor((message) => message.id === 1)
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getUserData', params: [`u${i}`] }))
    const response = await answer
    if (response.result?.id !== `u${i}`) throw new Error(`cycle ${i}: wrong answer ${JSON.stringify(response)}`)
    // Even cycles hold a generator that waits for the disconnect; odd ones one that yields every 2 ms.
    const item = waitFor((message) => message.method === '$/next' && message.params.id === 2)
    socket.send(JSON.stringify(i % 2 === 0 ? { jsonrpc: '2.0', id: 2, method: 'waitForCancel' } : { jsonrpc: '2.0', id: 2, method: 'subscribeToUpdates', params: ['churn'] }))
    const next = await item
    if (i % 2 === 0 ? next.params.value !== 'ready' : next.params.value?.data !== 'churn 0') throw new Error(`cycle ${i}: wrong item ${JSON.stringify(next)}`)
  } finally {
    socket.close()
    await closed
  }
}

/** Runs `count` cycles, `PARALLEL` at a time; resolves with the failures. */
async function run(url: string, count: number, offset: number): Promise<string[]> {
  const failures: string[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < count) {
        const i = offset + next++
        await cycle(url, i).catch((error: Error) => void failures.push(error.message))
      }
    }),
  )
  return failures
}

/** Polls the server until its connections and generators are gone (or 15 s passed), then lets it settle. */
async function settle(server: ServerChild): Promise<ServerStats> {
  const end = Date.now() + 15_000
  let stats = await server.stats()
  while ((stats.connections > 0 || stats.held.open > 0) && Date.now() < end) {
    await sleep(100)
    stats = await server.stats()
  }
  await sleep(500)
  return server.stats()
}

describe(`churn (${MODE}: ${CYCLES} cycles, ${PARALLEL} at a time)`, () => {
  let server: ServerChild
  beforeAll(async () => {
    server = await startServerProcess({ gc: true, serve: { shutdownTimeout: 1 } })
  })
  afterAll(async () => {
    await server?.kill()
  })

  it('leaves no connection, generator, timer, handle or heap growth behind', { timeout: size(90_000, 1_800_000) }, async () => {
    // Warm-up: JIT, pools and lazily created resources exist in the baseline.
    expect(await run(server.wsUrl, WARM_UP, 0)).toEqual([])
    const baseline = await settle(server)
    expect(baseline.gc).toBe(true)

    const started = performance.now()
    const failures = await run(server.wsUrl, CYCLES, WARM_UP)
    const seconds = (performance.now() - started) / 1000
    const after = await settle(server)
    const perSecond = CYCLES / seconds
    const heapGrowth = after.heapUsed - baseline.heapUsed
    const summary = {
      cycles: CYCLES,
      seconds: Number(seconds.toFixed(1)),
      perSecond: Math.round(perSecond),
      failures: failures.length,
      baseline: { heap: mib(baseline.heapUsed), timers: baseline.timers, resources: baseline.resources, connections: baseline.connections, held: baseline.held, byKind: baseline.byKind },
      after: { heap: mib(after.heapUsed), timers: after.timers, resources: after.resources, connections: after.connections, held: after.held, byKind: after.byKind },
    }
    console.info(`[churn] ${JSON.stringify(summary)}`)

    expect(failures.slice(0, 5)).toEqual([])
    expect(server.alive()).toBe(true)
    expect(after.connections).toBe(0)
    // Every generator started finished: waitForCancel on even cycles, subscribeToUpdates (finallyRan) on odd ones.
    expect(after.held.open).toBe(0)
    expect(after.held.finished - baseline.held.finished).toBe(Math.ceil(CYCLES / 2))
    expect(after.finallyRan - baseline.finallyRan).toBe(Math.floor(CYCLES / 2))
    expect(Math.abs(after.timers - baseline.timers)).toBeLessThanOrEqual(RESOURCE_MARGIN)
    expect(Math.abs(after.resources - baseline.resources)).toBeLessThanOrEqual(RESOURCE_MARGIN)
    expect(heapGrowth).toBeLessThan(HEAP_MARGIN)
    expect(after.unhandledRejections + after.uncaughtExceptions).toBe(0)

    record('churn', [
      {
        section: 'churn',
        test: 'connect → request → subscribe (one item) → disconnect',
        load: `${CYCLES} cycles, ${PARALLEL} at a time, in ${seconds.toFixed(1)} s (${Math.round(perSecond)} cycles/s); server in a child process with --expose-gc`,
        result:
          `${failures.length} failed cycles; after settling: ${after.connections} connections (baseline ${baseline.connections}), ${after.held.open} generators running, ` +
          `${after.held.finished - baseline.held.finished + after.finallyRan - baseline.finallyRan}/${CYCLES} generators finished; timers ${baseline.timers} → ${after.timers}, handles ${baseline.resources} → ${after.resources}; ` +
          `heap after gc() ${mib(baseline.heapUsed)} → ${mib(after.heapUsed)} (${heapGrowth >= 0 ? '+' : ''}${(heapGrowth / MiB).toFixed(2)} MiB, limit +${HEAP_MARGIN / MiB} MiB)`,
      },
    ])
  })
})
