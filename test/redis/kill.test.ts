// Kill test of the Redis setup (docs/scaling.md): three wirerpc server processes sharing a Redis
// PubSub, subscribers connected through a round-robin TCP proxy, a publisher emitting numbered
// events; one instance at a time is killed (SIGKILL) every few seconds and restarted on its port
// about a second later. Each subscriber's client reconnects (through the proxy, to a live
// instance) and resumes with `$/resume`: every subscriber must end with the full sequence 1..N,
// no gap, no duplicate (by number and by event id), and count a reconnect for each connection it
// lost.
//
// Sizes (test/reliability/harness.ts): short inside `npm test`; full with RELIABILITY=full
// (`RELIABILITY=full npx vitest run test/redis/kill.test.ts`).
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ResyncRequiredError } from 'wirerpc/client'
import { createRedisPubSub } from 'wirerpc/redis'
import { killAllServers, spawnServer, type ServerProcess } from '../../bench/lib/spawn-server.js'
import { openLink, startSubscriber, stopSubscribers, type Subscriber } from './support-kill-subscriber.js'
import type { Link } from './support-kill-spy.js'
import { MODE, percentile, record, size } from '../reliability/harness.js'
import { startRedisServer, type RedisServer } from './redis-server.js'
import { startRoundRobinProxy, type RoundRobinProxy } from './support-kill-proxy.js'

const INSTANCES = 3
const SUBSCRIBERS = size(20, 100)
const DURATION_MS = size(8_000, 30_000)
const KILL_EVERY_MS = size(2_500, 3_000)
const RESTART_AFTER_MS = 1_000
/** After the last kill, how long the publisher goes on for the subscribers to show they resumed. */
const RESUME_TIMEOUT_MS = 30_000
const RATE = 50 // events per second
/**
 * Entries the publisher keeps per stream (XADD MAXLEN ~): far more than the run publishes
 * (RATE × DURATION ≤ 1,500), so a resume always finds its last event and no ResyncRequiredError
 * can come from retention.
 */
const RETENTION = 100_000
const TOPIC = 'numbers'
const KEY_PREFIX = `kill-${process.pid}:`
const script = new URL('./fixtures/server-process.ts', import.meta.url)

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One server instance: its process while it runs, its fixed port, and its restarts. */
interface Instance {
  readonly name: string
  port: number
  process: ServerProcess | undefined
  /** Resolves once the instance runs again after a kill. */
  ready: Promise<void>
}

let redis: RedisServer
let proxy: RoundRobinProxy | undefined
let publisher: ReturnType<typeof createRedisPubSub> | undefined
const instances: Instance[] = []

beforeAll(async () => {
  redis = await startRedisServer()
  const env = { REDIS_URL: redis.url, KEY_PREFIX }
  const started = await Promise.all(Array.from({ length: INSTANCES }, (_, i) => spawnServer(`kill-${i}`, script, 60_000, env)))
  for (const [i, process] of started.entries()) instances.push({ name: `kill-${i}`, port: Number(new URL(process.url).port), process, ready: Promise.resolve() })
  proxy = await startRoundRobinProxy(instances.map((instance) => instance.port))
  publisher = createRedisPubSub({ url: redis.url, keyPrefix: KEY_PREFIX, retention: RETENTION })
}, 90_000)

afterAll(async () => {
  await publisher?.close()
  await proxy?.close()
  await Promise.allSettled(instances.map(async (instance) => instance.process?.stop(2_000)))
  killAllServers()
  await redis?.dispose()
}, 30_000)

it(`every subscriber gets the full sequence while instances are killed (${MODE})`, async () => {
  const subscribers: Subscriber[] = []
  for (let i = 0; i < SUBSCRIBERS; i++) subscribers.push(startSubscriber(`http://127.0.0.1:${proxy!.port}/`, TOPIC))

  try {
    // Warm-up events (n = 0) until every subscription is live on its instance, so that each one
    // gets every numbered event from 1.
    const warmUpDeadline = Date.now() + 60_000
    while (subscribers.some((subscriber) => subscriber.values.length === 0)) {
      if (Date.now() > warmUpDeadline) throw new Error('The subscriptions did not all start within 60 s.')
      await publisher!.publish(TOPIC, { n: 0 })
      await tick(50)
    }
    const settledBefore = subscribers.map((subscriber) => subscriber.reconnects)
    expect(settledBefore.every((count) => count === 0)).toBe(true)

    // `caught`: the subscribers whose WebSocket was open on the instance when it was killed. The
    // proxy's count is kept only to compare: it includes handshakes still in flight and clients
    // already gone, which no reconnect is owed for.
    const kills: { at: number; instance: string; caught: { index: number; link: Link }[]; proxied: number }[] = []
    let killerDoneAt: number | undefined
    /** Every connection the kills caught is lost, and every subscriber has had an event since its last loss. */
    const resumed = () => kills.every((kill) => kill.caught.every(({ link }) => link.closedAt !== undefined)) && subscribers.every((subscriber) => subscriber.lostAt === undefined)

    // The publisher: RATE numbered events per second, paced on the clock, for DURATION_MS and as
    // long as the killer runs (longer on a loaded machine, where restarts are slow), then until
    // every subscriber shows it resumed (or RESUME_TIMEOUT_MS, and the checks below tell who did not).
    const ids = new Map<number, string>()
    const started = Date.now()
    let published = 0
    const publishing = (async () => {
      while (Date.now() - started < DURATION_MS || killerDoneAt === undefined || (!resumed() && Date.now() < killerDoneAt + RESUME_TIMEOUT_MS)) {
        const n = published + 1
        ids.set(n, await publisher!.publish(TOPIC, { n }))
        published = n
        const due = started + (n * 1000) / RATE
        await tick(Math.max(0, due - Date.now()))
      }
    })()

    // The killer: every KILL_EVERY_MS, SIGKILL the next instance in turn and start it again on its
    // port RESTART_AFTER_MS later, for DURATION_MS and until each instance was killed once. One
    // instance down at a time: a kill waits for every instance to run, since on a loaded machine a
    // restart can outlast KILL_EVERY_MS, and killing the last live instance would leave the clients
    // nowhere to go (the proxy holding them, their backoff growing) rather than test the failover.
    const killing = (async () => {
      for (let k = 0; ; k++) {
        await tick(Math.max(0, started + (k + 1) * KILL_EVERY_MS - Date.now()))
        await Promise.all(instances.map(async (other) => other.ready))
        if (Date.now() - started >= DURATION_MS && k >= INSTANCES) return
        const instance = instances[k % INSTANCES]!
        // Read in the same tick as the SIGKILL below: no socket can open or close in between.
        const at = Date.now()
        const caught = subscribers.flatMap((subscriber, index) => {
          const link = openLink(subscriber)
          return link && proxy!.backendOf(link.localPort) === instance.port ? [{ index, link }] : []
        })
        kills.push({ at, instance: instance.name, caught, proxied: proxy!.openTo(instance.port) })
        await instance.process!.kill()
        instance.process = undefined
        instance.ready = (async () => {
          await tick(RESTART_AFTER_MS)
          instance.process = await spawnServer(instance.name, script, 60_000, { REDIS_URL: redis.url, KEY_PREFIX, PORT: String(instance.port) })
        })()
      }
    })().finally(() => (killerDoneAt = Date.now()))

    await Promise.all([publishing, killing])
    const duration = Date.now() - started
    const N = published

    // Settle: wait until every subscriber has its last event (or failed), then a little longer
    // for any late duplicate. A subscriber still short at the deadline fails the checks below,
    // which show what it got.
    const settleDeadline = Date.now() + 30_000
    while (Date.now() < settleDeadline && subscribers.some((subscriber) => subscriber.error === undefined && subscriber.values.at(-1) !== N)) await tick(100)
    await tick(500)
    await Promise.all(instances.map(async (instance) => instance.ready))

    const expected = Array.from({ length: N }, (_, i) => i + 1)
    const errors = subscribers.map((subscriber) => subscriber.error).filter((error) => error !== undefined)
    expect(errors.filter((error) => error instanceof ResyncRequiredError)).toEqual([])
    expect(errors).toEqual([])
    expect(new Set(ids.values()).size).toBe(N)
    for (const [i, subscriber] of subscribers.entries()) {
      // The loop's values: warm-up zeros, then exactly 1..N.
      const first = subscriber.values.indexOf(1)
      expect(subscriber.values.slice(0, first).every((n) => n === 0), `subscriber ${i}: warm-up only before 1`).toBe(true)
      expect(subscriber.values.slice(first), `subscriber ${i}`).toEqual(expected)
      // The frames: each event id once, and the id the publisher got for that number.
      const numbered = subscriber.frames.filter((frame) => (frame.value as { n: number }).n !== 0)
      const eventIds = numbered.map((frame) => frame.eventId)
      expect(new Set(eventIds).size, `subscriber ${i}: distinct event ids`).toBe(eventIds.length)
      expect(eventIds, `subscriber ${i}: event ids`).toEqual(expected.map((n) => ids.get(n)))
      expect(subscriber.reconnects, `subscriber ${i}: reconnects`).toBeGreaterThanOrEqual(1)
      // Each connection its sockets saw close, the client counted as a reconnect.
      const losses = subscriber.links.filter((link) => link.closedAt !== undefined).length
      expect(subscriber.reconnects, `subscriber ${i}: a reconnect for each of its ${losses} lost connections`).toBeGreaterThanOrEqual(losses)
      expect(subscriber.lostAt, `subscriber ${i}: resumed after its last loss`).toBeUndefined()
    }

    // Every connection open on a killed instance was lost and reconnected.
    for (const kill of kills) {
      for (const { index, link } of kill.caught) expect(link.closedAt, `subscriber ${index}: its connection to ${kill.instance} lost at the kill`).toBeGreaterThanOrEqual(kill.at)
    }
    const reconnects = subscribers.reduce((sum, subscriber) => sum + subscriber.reconnects, 0)
    const killedConnections = kills.reduce((sum, kill) => sum + kill.caught.length, 0)
    const proxied = kills.reduce((sum, kill) => sum + kill.proxied, 0)
    expect(kills.length).toBeGreaterThanOrEqual(INSTANCES) // every instance killed at least once
    // Each subscriber started on an instance that was killed: a smaller count would mean the kills
    // were not attributed to the connections they dropped.
    expect(killedConnections).toBeGreaterThanOrEqual(SUBSCRIBERS)
    expect(reconnects).toBeGreaterThanOrEqual(killedConnections)
    expect(proxy!.dropped).toBe(0)

    // Time from a kill to the first event after the reconnect, for each loss (attributed to the
    // last kill before it).
    const recoveries = subscribers.flatMap((subscriber) =>
      subscriber.resumed.map(({ lostAt, at }) => {
        const kill = kills.filter((candidate) => candidate.at <= lostAt).at(-1)
        return at - (kill?.at ?? lostAt)
      }),
    )
    const maxRecovery = Math.max(...recoveries)
    const deliveries = subscribers.reduce((sum, subscriber) => sum + subscriber.frames.length, 0)
    const numberedDeliveries = subscribers.reduce((sum, subscriber) => sum + subscriber.values.filter((n) => n !== 0).length, 0)
    const figures = {
      instances: INSTANCES,
      subscribers: SUBSCRIBERS,
      durationMs: duration,
      kills: kills.length,
      events: N,
      deliveries: numberedDeliveries,
      reconnects,
      killedConnections,
      proxiedToKilled: proxied,
      p50RecoveryMs: percentile(recoveries, 50),
      maxRecoveryMs: maxRecovery,
    }
    console.log(`[kill ${MODE}] ${JSON.stringify(figures)} (frames incl. warm-up: ${deliveries}, proxy: ${proxy!.accepted} accepted, ${proxy!.skipped} refused backends skipped)`)
    record('redis-kill', [
      {
        section: 'scale-out',
        test: 'Redis: instances killed (SIGKILL) under subscribers, clients resume through a round-robin proxy',
        load: `${INSTANCES} instances, ${SUBSCRIBERS} subscribers, ${(duration / 1000).toFixed(1)} s, ${kills.length} kills (one every ${KILL_EVERY_MS / 1000} s, restarted after ${RESTART_AFTER_MS / 1000} s), ${N} events at ${RATE}/s`,
        result: `${numberedDeliveries}/${N * SUBSCRIBERS} deliveries, 0 gaps, 0 duplicates; ${reconnects} reconnects (${killedConnections} connections open on killed instances); kill to resumed: p50 ${percentile(recoveries, 50)} ms, max ${maxRecovery} ms`,
      },
    ])
  } finally {
    await stopSubscribers(subscribers)
  }
}, size(120_000, 240_000))
