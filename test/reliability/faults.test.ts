// Faults between our client and the server, at volume (docs/reliability.md, "Faults"): connections
// reset inside the upgrade, inside a frame and between frames, over and over, with calls in flight;
// a link that delivers one byte at a time; a slow link (500 ms ± 400 ms each way) that must not be
// taken for a dead one; a dead link (blackhole) that both sides must notice in time. Real sockets
// on 127.0.0.1, through test/support/tcp-proxy.ts; the server runs in this process so that its
// generators (`held.open`) can be counted. test/client/ws/faults.test.ts has the single cases.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BufferOverflowError, connectionOf, defineClient, NetworkError, TimeoutError, WsRequestError, type ClientOptions, type ConnectionState } from 'wirerpc/client'
import { serve, type RunningServer } from 'wirerpc/node'
import type { ServeOptions } from 'wirerpc/node'
import manifest from '../e2e/ws/manifest.js'
import { held } from '../e2e/ws/routes.js'
import * as api from '../client/ws/api.js'
import { startTcpProxy, type Cut, type CutPlan, type Direction, type TcpProxy } from '../support/tcp-proxy.js'
import { median, MODE, record, size, type Figure } from './harness.js'

const figures: Figure[] = []
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

/** The server in this process, counting its WebSocket connections and missed pongs from its log. */
async function startServer(options: ServeOptions = {}) {
  const counts = { opened: 0, closed: 0, pongTimeouts: 0 }
  const closedAt = new Map<string, number>()
  const openIds = new Set<string>()
  const server: RunningServer = await serve(manifest, {
    port: 0,
    onError: () => {},
    logger: {
      info(_message, fields) {
        if (fields?.['event'] === 'ws.open') {
          counts.opened++
          openIds.add(String(fields['id']))
        }
        if (fields?.['event'] === 'ws.close') {
          counts.closed++
          openIds.delete(String(fields['id']))
          closedAt.set(String(fields['id']), Date.now())
        }
      },
      warn(_message, fields) {
        if (fields?.['event'] === 'ws.pong-timeout') counts.pongTimeouts++
      },
      error() {},
    },
    ...options,
  })
  cleanups.push(() => server.close())
  return { server, counts, openIds, closedAt, get connections() {
    return counts.opened - counts.closed
  } }
}

async function startProxy(port: number): Promise<TcpProxy> {
  const proxy = await startTcpProxy(port)
  cleanups.push(() => proxy.close())
  return proxy
}

function client(prefixUrl: string, options: ClientOptions<'reject'> = {}) {
  const made = defineClient(api, { prefixUrl, ...options })
  cleanups.push(() => connectionOf(made).close())
  return made
}

function recordStates(target: object): ConnectionState[] {
  const states: ConnectionState[] = []
  connectionOf(target).onStateChange((state) => states.push(state))
  return states
}

/** How a call settled: `ok`, or the class of its error (and code); anything undocumented starts with `unexpected`. */
function kindOf(error: unknown): string {
  if (error instanceof NetworkError) return 'NetworkError'
  if (error instanceof TimeoutError) return 'TimeoutError'
  if (error instanceof BufferOverflowError) return 'BufferOverflowError'
  if (error instanceof WsRequestError) return `WsRequestError ${error.code}`
  return `unexpected ${String(error)}`
}

/** Counts outcomes of calls by kind, and checks each `ok` value. */
class Outcomes {
  readonly counts: Record<string, number> = {}
  readonly wrong: string[] = []
  readonly settled: Promise<unknown>[] = []
  started = 0
  done = 0

  track<T>(name: string, call: Promise<T>, check?: (value: T) => boolean): void {
    this.started++
    this.settled.push(
      call.then(
        (value) => {
          this.done++
          this.counts[`${name}: ok`] = (this.counts[`${name}: ok`] ?? 0) + 1
          if (check && !check(value)) this.wrong.push(`${name}: ${JSON.stringify(value)}`)
        },
        (error: unknown) => {
          this.done++
          const kind = `${name}: ${kindOf(error)}`
          this.counts[kind] = (this.counts[kind] ?? 0) + 1
        },
      ),
    )
  }

  total(suffix: string): number {
    return Object.entries(this.counts)
      .filter(([kind]) => kind.endsWith(suffix))
      .reduce((sum, [, count]) => sum + count, 0)
  }

  summary(): string {
    return Object.entries(this.counts)
      .sort()
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ')
  }
}

/** Resolves with `promise`, or rejects after `ms` naming `what`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))])
  } finally {
    clearTimeout(timer)
  }
}

describe('connections reset at every stage, with calls in flight', () => {
  const RESETS = size(60, 1000)

  it(`settles every call and resumes every subscription across ${RESETS} resets (mid-handshake, mid-frame, mid-stream)`, async () => {
    const started = Date.now()
    const backend = await startServer()
    const proxy = await startProxy(backend.server.port)
    // A small backoff cap keeps a thousand reconnects within minutes; everything else is default.
    const c = client(`http://127.0.0.1:${proxy.port}/`, { timeout: 15, retry: { limit: 3, backoffLimit: 0.1 } })
    const states = recordStates(c)
    const outcomes = new Outcomes()

    // Two subscriptions that live through every reset: a stream of small items (500 a second),
    // and one that yields once per (re)subscription, then holds a generator open on the server.
    const live = { received: 0, restarts: 0, error: undefined as unknown }
    const liveLoop = (async () => {
      for await (const update of c.subscribeToUpdates('live')) {
        live.received++
        if (update.timestamp === 0) live.restarts++
      }
    })().catch((error: unknown) => void (live.error = error))
    const waiting = { readies: 0, error: undefined as unknown }
    const waitingLoop = (async () => {
      for await (const item of c.waitForCancel()) if (item === 'ready') waiting.readies++
    })().catch((error: unknown) => void (waiting.error = error))
    await vi.waitFor(() => expect(live.received > 5 && waiting.readies === 1).toBe(true), { timeout: 5000 })

    const fire = (i: number) => {
      const id = String(i)
      outcomes.track('request', c.getUserData(id), (user) => user.id === id)
      outcomes.track('idempotent request', c.getUserData(id, { idempotent: true }), (user) => user.id === id)
      outcomes.track('slow request', c.slow(Math.floor(Math.random() * 100)), (ms) => typeof ms === 'number')
      outcomes.track('notification', c.logEvent('reset-storm', i))
      outcomes.track(
        'short subscription',
        (async () => {
          const items: number[] = []
          for await (const update of c.subscribeToUpdates('short', 3)) items.push(update.timestamp)
          return items
        })(),
        // After a reset it starts again from 0: the last three items are always 0, 1, 2.
        (items) => items.slice(-3).join() === '0,1,2',
      )
    }

    const cuts: Cut[] = []
    const itemsAfter: number[] = []
    const reconnectMs: number[] = []
    const plans: Record<string, number> = {}
    let reconnects = 0
    connectionOf(c).onStateChange((state) => void (state === 'reconnecting' && reconnects++))
    for (let i = 0; i < RESETS; i++) {
      const at = (['handshake', 'frame', 'stream'] as const)[i % 3]!
      const direction: Direction = Math.random() < 0.5 ? 'up' : 'down'
      const plan: CutPlan = { direction, at, after: Math.floor(Math.random() * (direction === 'up' ? 200 : 2000)) }
      plans[`${at} ${direction}`] = (plans[`${at} ${direction}`] ?? 0) + 1
      fire(i)
      let cut: Promise<Cut>
      if (at === 'handshake') {
        // Drop the connection, and cut the one the client opens next inside its upgrade.
        cut = proxy.cutNext(plan)
        proxy.resetAll()
      } else {
        cut = proxy.cutOpen(plan)
      }
      // Client → server frames are only requests: keep some coming until the cut lands.
      // What the subscriptions had received when the reset happened (the cut resolves right after
      // it, before the client can have seen it): a fast reconnect may resubscribe within ms.
      let landed: { at: number; received: number; readies: number } | undefined
      void cut.then(() => (landed = { at: Date.now(), received: live.received, readies: waiting.readies }))
      for (let k = 0; !landed && k < 200; k++) {
        if (direction === 'up' && at !== 'handshake') fire(i * 1000 + k)
        await sleep(10)
      }
      cuts.push(await within(cut, 5000, `cut ${i} (${at} ${direction})`))
      const { at: cutAt, received: receivedAtCut, readies: readiesAtCut } = landed!
      // Resumed: open again, the stream flowing and the held subscription answered again.
      await vi
        .waitFor(
          () => {
            expect(connectionOf(c).state).toBe('open')
            expect(live.received - receivedAtCut).toBeGreaterThanOrEqual(3)
            expect(waiting.readies).toBeGreaterThan(readiesAtCut)
          },
          { timeout: 10_000, interval: 5 },
        )
        .catch((error: unknown) => {
          const context = { i, plan, cut: cuts.at(-1), state: connectionOf(c).state, pending: connectionOf(c).pending, live, waiting, held: held.open, serverConnections: backend.connections, proxyOpen: proxy.open }
          throw new Error(`not resumed after reset ${i}: ${JSON.stringify(context)}`, { cause: error })
        })
      reconnectMs.push(Date.now() - cutAt)
      await sleep(Math.random() * 20)
      itemsAfter.push(live.received - receivedAtCut)
    }
    const settled = await within(Promise.allSettled(outcomes.settled), 30_000, 'every call settled').then(
      () => true,
      () => false,
    )
    expect(live.error).toBeUndefined()
    expect(waiting.error).toBeUndefined()

    // Every cut landed where it was meant to.
    for (const cut of cuts) {
      if (cut.at === 'stream') expect(cut.offset).toBe(cut.length)
      else {
        expect(cut.offset).toBeGreaterThan(0)
        expect(cut.offset).toBeLessThan(cut.length)
      }
    }
    // Every call settled, with a documented outcome; every answer was right.
    expect(settled).toBe(true)
    expect(outcomes.done).toBe(outcomes.started)
    expect(Object.keys(outcomes.counts).filter((kind) => kind.includes('unexpected'))).toEqual([])
    expect(outcomes.wrong).toEqual([])
    // Plain and slow requests are mostly in flight when the cut lands, so they may all fail; the
    // idempotent ones, notifications and short subscriptions go through again after a reconnect.
    for (const name of ['idempotent request', 'notification', 'short subscription']) {
      expect(outcomes.counts[`${name}: ok`] ?? 0, name).toBeGreaterThan(0)
    }
    // Only NetworkErrors: a request that was sent when its connection dropped may have run.
    expect(Object.keys(outcomes.counts).filter((kind) => !kind.endsWith(': ok') && !kind.endsWith(': NetworkError'))).toEqual([])
    expect(reconnects).toBeGreaterThanOrEqual(RESETS)
    expect(waiting.readies).toBeGreaterThan(RESETS)
    expect(Math.min(...itemsAfter)).toBeGreaterThanOrEqual(3)

    // Nothing left behind: the server still answers, and holds no connection and no generator.
    const subscriptionsDone = Promise.all([liveLoop, waitingLoop])
    connectionOf(c).close()
    await subscriptionsDone
    await vi.waitFor(
      () => {
        expect(backend.connections).toBe(0)
        expect(held.open).toBe(0)
        expect(proxy.open).toBe(0)
      },
      { timeout: 5000 },
    )
    const direct = client(backend.server.url)
    await expect(direct.getUserData('after')).resolves.toEqual({ id: 'after', name: 'user after' })
    expect(states[0]).toBe('connecting')

    const kinds = (at: string) => cuts.filter((cut) => cut.at === at).length
    figures.push({
      section: 'faults',
      test: 'TCP resets mid-handshake, mid-frame, mid-stream, with calls in flight',
      load: `${RESETS} resets (${kinds('handshake')} in the upgrade, ${kinds('frame')} inside a frame, ${kinds('stream')} between frames; ${Object.entries(plans)
        .map(([plan, count]) => `${plan} ${count}`)
        .join(', ')}), ${outcomes.started} calls, 2 subscriptions kept open throughout; ${seconds(Date.now() - started)}`,
      result:
        `${outcomes.done}/${outcomes.started} calls settled (${outcomes.total(': ok')} ok, ${outcomes.total(': NetworkError')} NetworkError, 0 other); ` +
        `${reconnects} reconnects; subscriptions resumed after every reset (items in the first moments after a reset: min ${Math.min(...itemsAfter)}, median ${median(itemsAfter)}); ` +
        `reset → resumed: median ${median(reconnectMs)} ms, max ${Math.max(...reconnectMs)} ms; afterwards 0 server connections, 0 generators open. By call: ${outcomes.summary()}`,
    })
  }, size(60_000, 900_000))
})

describe('a link that delivers one byte at a time', () => {
  it('carries requests, errors and a subscription intact, both ways', async () => {
    const started = Date.now()
    const backend = await startServer()
    const proxy = await startProxy(backend.server.port)
    proxy.byteAtATime(true)
    const c = client(`http://127.0.0.1:${proxy.port}/`, { timeout: 30 })
    const REQUESTS = size(20, 100)
    for (let i = 0; i < REQUESTS / 2; i++) expect(await c.getUserData(`seq-${i}`)).toEqual({ id: `seq-${i}`, name: `user seq-${i}` })
    const concurrent = await Promise.all(Array.from({ length: REQUESTS / 2 }, (_, i) => c.optional(`c${i}`, i)))
    expect(concurrent).toEqual(Array.from({ length: REQUESTS / 2 }, (_, i) => ({ a: `c${i}`, b: i, hasContext: true })))
    const error = await c.fail('http').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(WsRequestError)
    expect(error).toMatchObject({ code: 409, data: { field: 'name' } })
    const ITEMS = size(30, 200)
    const subscription = c.subscribeToUpdates('bytes', ITEMS)
    const items: unknown[] = []
    for (;;) {
      const next = await subscription.next()
      if (next.done) {
        expect(next.value).toBe('done')
        break
      }
      items.push(next.value)
    }
    expect(items).toEqual(Array.from({ length: ITEMS }, (_, i) => ({ timestamp: i, data: `bytes ${i}` })))
    // It really was one byte per write, both ways, on one connection.
    for (const lane of [proxy.stats.up, proxy.stats.down]) {
      expect(lane.bytes).toBeGreaterThan(1000)
      expect(lane.writes).toBe(lane.bytes)
    }
    expect(proxy.accepted).toBe(1)
    expect(connectionOf(c).state).toBe('open')
    figures.push({
      section: 'faults',
      test: 'link delivering one byte per write (setImmediate between bytes), both ways',
      load: `${REQUESTS} requests (half sequential, half concurrent), 1 error, a subscription of ${ITEMS} items`,
      result: `all results and items correct, 1 connection; ${proxy.stats.up.bytes} bytes up and ${proxy.stats.down.bytes} down in as many writes; ${seconds(Date.now() - started)}`,
    })
  }, 60_000)
})

describe('a slow link is not a dead link', () => {
  // Each chunk is delayed by 500 ms ± 400 ms, so by at most 900 ms one way; keeping the order can
  // only hold a chunk until the one before it leaves, which left within 900 ms of its own arrival,
  // so no chunk waits more than 900 ms. A round trip (ping → answer) takes at most 1.8 s plus
  // processing. The client pings after wsPingInterval = 1 s of silence and gives up after
  // wsPongTimeout = 3 s without any message, 1.2 s more than the worst round trip; the handshake
  // (also bounded by wsPongTimeout) is one round trip too. The server pings every
  // pingInterval = 1 s and waits pongTimeout = 3 s for the pong, the same budget.
  const DURATION = size(8_000, 20_000)

  it(`keeps the connection open for ${DURATION / 1000} s at 500 ms ± 400 ms each way, with pings both ways`, async () => {
    const backend = await startServer({ pingInterval: 1, pongTimeout: 3 })
    const proxy = await startProxy(backend.server.port)
    proxy.latency({ ms: 500, jitter: 400 })
    let clientPings = 0
    let serverPongs = 0
    proxy.onFrame((direction, opcode, payload) => {
      if (direction === 'up' && opcode === 0x1 && payload.toString().includes('"$/ping"')) clientPings++
      if (direction === 'up' && opcode === 0xa) serverPongs++
    })
    const c = client(`http://127.0.0.1:${proxy.port}/`, { wsPingInterval: 1, wsPongTimeout: 3, timeout: 10 })
    const states = recordStates(c)
    const subscription = c.waitForCancel()
    expect(await subscription.next()).toEqual({ done: false, value: 'ready' })
    const rtts: number[] = []
    const started = Date.now()
    // A request now and then, with quiet stretches in between for the client's pings.
    for (let i = 0; Date.now() - started < DURATION; i++) {
      const sent = Date.now()
      expect(await c.getUserData(`slow-${i}`)).toEqual({ id: `slow-${i}`, name: `user slow-${i}` })
      rtts.push(Date.now() - sent)
      await sleep(Math.min(2500, DURATION - (Date.now() - started)))
    }
    expect(states).toEqual(['connecting', 'open'])
    expect(proxy.accepted).toBe(1)
    expect(backend.counts.pongTimeouts).toBe(0)
    expect(backend.counts.closed).toBe(0)
    // The liveness checks did run over the slow link: pings went out, and were answered in time.
    expect(clientPings).toBeGreaterThanOrEqual(2)
    expect(serverPongs).toBeGreaterThanOrEqual(Math.floor(DURATION / 2000) - 1)
    // The latency was there: a round trip is two delays of 100–900 ms.
    expect(median(rtts)).toBeGreaterThan(300)
    expect(Math.max(...rtts)).toBeLessThan(2500)
    await subscription.return()
    figures.push({
      section: 'faults',
      test: 'slow link: 500 ms ± 400 ms each way, order kept; client wsPingInterval 1 s / wsPongTimeout 3 s, server pingInterval 1 s / pongTimeout 3 s',
      load: `${seconds(Date.now() - started)}, ${rtts.length} requests with quiet gaps, 1 subscription open`,
      result: `no false dead-peer detection: state stayed open, 1 connection, 0 missed pongs; ${clientPings} client $/ping and ${serverPongs} pongs to server pings answered in time; request round trip median ${median(rtts)} ms, max ${Math.max(...rtts)} ms`,
    })
  }, DURATION + 30_000)
})

describe('a dead link (blackhole) is noticed by both sides', () => {
  const CLIENTS = size(5, 20)

  it(`client within wsPingInterval + wsPongTimeout, server within pingInterval + pongTimeout (${CLIENTS} connections)`, async () => {
    const backend = await startServer({ pingInterval: 1, pongTimeout: 1 })
    const proxy = await startProxy(backend.server.port)
    const clients = Array.from({ length: CLIENTS }, () => client(`http://127.0.0.1:${proxy.port}/`, { wsPingInterval: 1, wsPongTimeout: 1 }))
    const subscriptions = clients.map((c) => c.waitForCancel())
    for (const subscription of subscriptions) expect(await subscription.next()).toEqual({ done: false, value: 'ready' })
    await sleep(1500) // pings both ways go through while the link works
    expect(backend.counts.pongTimeouts).toBe(0)
    const before = [...backend.openIds]
    expect(before).toHaveLength(CLIENTS)
    const detected: number[] = []
    for (const c of clients) {
      connectionOf(c).onStateChange((state, previous) => {
        if (previous === 'open' && detected.length < CLIENTS) detected.push(Date.now())
      })
    }
    const blackholed = Date.now()
    proxy.blackhole()
    const again = subscriptions.map((subscription) => subscription.next())
    await vi.waitFor(
      () => {
        expect(detected).toHaveLength(CLIENTS)
        for (const id of before) expect(backend.closedAt.has(id)).toBe(true)
      },
      { timeout: 10_000, interval: 20 },
    )
    const clientMs = detected.map((at) => at - blackholed)
    const serverMs = before.map((id) => backend.closedAt.get(id)! - blackholed)
    // Bounds: 1 + 1 s each, plus 1 s of margin for a shared machine.
    expect(Math.max(...clientMs)).toBeLessThanOrEqual(3000)
    expect(Math.max(...serverMs)).toBeLessThanOrEqual(3000)
    // The server found out by its own pings (the proxy passes no close across a blackhole).
    expect(backend.counts.pongTimeouts).toBe(CLIENTS)
    // Every client came back on a new connection and subscribed again.
    for (const next of again) expect(await next).toEqual({ done: false, value: 'ready' })
    expect(proxy.accepted).toBe(2 * CLIENTS)
    await vi.waitFor(() => expect(backend.connections).toBe(CLIENTS))
    for (const subscription of subscriptions) await subscription.return()
    figures.push({
      section: 'faults',
      test: 'dead link (blackhole: nothing passes, not even a close); client wsPingInterval 1 s + wsPongTimeout 1 s, server pingInterval 1 s + pongTimeout 1 s',
      load: `${CLIENTS} connections, each with a subscription open`,
      result: `client noticed after median ${median(clientMs)} ms, max ${Math.max(...clientMs)} ms (bound 2 s + 1 s margin); server closed them after median ${median(serverMs)} ms, max ${Math.max(...serverMs)} ms (bound 2 s + 1 s); all ${CLIENTS} reconnected and resubscribed`,
    })
  }, 40_000)
})

// Runs last (vitest runs a file's tests in order): writes what the tests above measured.
describe('figures', () => {
  it(`records ${MODE} figures`, () => {
    expect(figures.length).toBeGreaterThan(0)
    record('faults', figures)
  })
})
