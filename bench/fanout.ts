/**
 * Fan-out across instances: one topic, BENCH_FANOUT_SUBSCRIBERS WebSocket subscribers (default
 * 1,000, one connection each) spread evenly over 1 or 2 server instances that share one Redis, and
 * BENCH_FANOUT_MESSAGES messages (default 2,000) published per round: deliveries/s from the publish
 * request to the last message received by the last subscriber, every subscriber checked to get
 * every message once, in order. wirerpc (`createRedisPubSub`, Redis Streams) against Socket.IO 4.8
 * with `@socket.io/redis-adapter` (Redis Pub/Sub). In both, the bench asks instance 0, over a
 * control connection of the stack's own client, to publish the round; the servers run in their own
 * processes, the subscribers in this one, a redis-server is started for the run. Knobs:
 * BENCH_ROUNDS, BENCH_WARMUP, BENCH_FANOUT_SUBSCRIBERS, BENCH_FANOUT_MESSAGES.
 */
import type { Benchmark } from './lib/benchmark.js'
import type { BenchConfig } from './lib/config.js'
import { positiveInteger } from './lib/config.js'
import type { FanoutPublisher, FanoutStackClient, FanoutSubscriber } from './lib/fanout-clients.js'
import { startBenchRedis, type BenchRedis } from './lib/fanout-redis.js'
import type { FanoutMessage } from './lib/fanout-work.js'
import { processCpuSeconds } from './lib/process-cpu.js'
import { spawnServer, type ServerProcess } from './lib/spawn-server.js'
import { median, round } from './lib/stats.js'
import { formatTable } from './lib/table.js'

interface Stack {
  readonly name: string
  readonly script: URL
  /** Imported only when the benchmark runs, so that the other benchmarks never load these clients. */
  readonly client: () => Promise<FanoutStackClient>
}

// wirerpc first: the ratios are to it.
const STACKS: readonly Stack[] = [
  { name: 'wirerpc', script: new URL('./servers/wirerpc-fanout.ts', import.meta.url), client: async () => (await import('./lib/fanout-clients.js')).wirerpcClient },
  { name: 'socket.io', script: new URL('./servers/socketio-fanout.ts', import.meta.url), client: async () => (await import('./lib/fanout-clients.js')).socketIoClient },
]

const INSTANCES = [1, 2] as const
/** Subscribers connecting at once (beyond, the listen backlog and the handshakes pile up). */
const CONNECT_BATCH = 50
/** Seconds for every subscriber to receive a readiness probe; probes go out every PROBE_INTERVAL ms. */
const READY_TIMEOUT = 60
const PROBE_INTERVAL = 100
/** Seconds one round may take, from the publish request to the last delivery; beyond, the run fails. */
const ROUND_TIMEOUT = 120

interface SubscriberState {
  next: number
  ready: boolean
}

interface Target {
  readonly stack: Stack
  readonly instances: number
  readonly label: string
  readonly topic: string
  readonly servers: ServerProcess[]
  readonly subscribers: FanoutSubscriber[]
  readonly states: SubscriberState[]
  publisher: FanoutPublisher | undefined
  /** The round being delivered; −2 before the first. */
  round: number
  messages: number
  remaining: number
  readyCount: number
  failure: unknown
  finishedAt: number
  wake: (() => void) | undefined
}

interface RoundResult {
  /** deliveries/s */
  readonly rate: number
  readonly seconds: number
  readonly deliveries: number
  /** CPU time per delivery over the round, in µs: the server instances together, this process (the subscribers), redis-server. */
  readonly serverCpuUs?: number
  readonly clientCpuUs?: number
  readonly redisCpuUs?: number
}

function fail(target: Target, error: unknown): void {
  target.failure ??= error
  target.wake?.()
}

function onMessage(target: Target, index: number, message: FanoutMessage): void {
  const state = target.states[index]!
  if (message.r === -1) {
    if (!state.ready) {
      state.ready = true
      target.readyCount++
      if (target.readyCount === target.states.length) target.wake?.()
    }
    return
  }
  if (message.r !== target.round) return fail(target, new Error(`${target.label}: subscriber ${index} got a message of round ${message.r} during round ${target.round}.`))
  if (message.s !== state.next) return fail(target, new Error(`${target.label}: subscriber ${index} got message ${message.s}, expected ${state.next} (round ${message.r}).`))
  state.next++
  if (state.next === target.messages) {
    target.remaining--
    if (target.remaining === 0) {
      target.finishedAt = performance.now()
      target.wake?.()
    }
  } else if (state.next > target.messages) {
    fail(target, new Error(`${target.label}: subscriber ${index} got more than ${target.messages} messages in round ${message.r}.`))
  }
}

/** Resolves when `done()` holds, checked on each wake-up; rejects on a failure or after `seconds`. */
async function until(target: Target, done: () => boolean, seconds: number, what: string, tick?: () => Promise<void>): Promise<void> {
  const deadline = performance.now() + seconds * 1000
  while (!done()) {
    if (target.failure) throw target.failure
    if (performance.now() > deadline) throw new Error(`${target.label}: ${what} within ${seconds} s.`)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, tick ? PROBE_INTERVAL : 1_000)
      target.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    target.wake = undefined
    if (tick && !done()) await tick()
  }
  if (target.failure) throw target.failure
}

async function startTarget(stack: Stack, instances: number, subscribers: number, redis: BenchRedis, retention: number): Promise<Target> {
  const label = `${stack.name} ×${instances}`
  const key = `fanout-${stack.name.replace(/\W/g, '')}-${instances}`
  const target: Target = {
    stack,
    instances,
    label,
    topic: key,
    servers: [],
    subscribers: [],
    states: Array.from({ length: subscribers }, () => ({ next: 0, ready: false })),
    publisher: undefined,
    round: -2,
    messages: 0,
    remaining: 0,
    readyCount: 0,
    failure: undefined,
    finishedAt: 0,
    wake: undefined,
  }
  const env = { REDIS_URL: redis.url, FANOUT_RETENTION: String(retention), FANOUT_ADAPTER_KEY: key }
  for (let i = 0; i < instances; i++) target.servers.push(await spawnServer(`${label} #${i}`, stack.script, 30_000, env))
  const client = await stack.client()
  for (let start = 0; start < subscribers; start += CONNECT_BATCH) {
    const batch = []
    for (let i = start; i < Math.min(subscribers, start + CONNECT_BATCH); i++) {
      const url = target.servers[i % instances]!.url
      batch.push(client.subscribe(url, target.topic, (message) => onMessage(target, i, message), (error) => fail(target, error)))
    }
    target.subscribers.push(...(await Promise.all(batch)))
  }
  target.publisher = await client.publisher(target.servers[0]!.url)
  // Probes until every subscription is in place on its instance (a subscriber may be connected
  // before its subscription reaches the PubSub).
  const probe = () => target.publisher!.publish(target.topic, -1, 1)
  await probe()
  await until(target, () => target.readyCount === subscribers, READY_TIMEOUT, 'not every subscriber got a probe', probe)
  return target
}

async function stopTarget(target: Target): Promise<void> {
  await Promise.allSettled([...target.subscribers.map((s) => s.close()), target.publisher?.close()])
  await Promise.all(target.servers.map((server) => server.stop()))
}

let nextRound = 0

/** One round: `messages` published on instance 0, until every subscriber has them all. */
async function runRound(target: Target, messages: number, redis: BenchRedis): Promise<RoundResult> {
  target.round = nextRound++
  target.messages = messages
  target.remaining = target.states.length
  for (const state of target.states) state.next = 0
  const cpu = () => target.servers.reduce<number | undefined>((sum, s) => (sum === undefined ? undefined : ((c) => (c === undefined ? undefined : sum + c))(processCpuSeconds(s.pid))), 0)
  const serverBefore = cpu()
  const redisBefore = processCpuSeconds(redis.pid)
  const clientBefore = process.cpuUsage()
  const started = performance.now()
  const published = target.publisher!.publish(target.topic, target.round, messages)
  published.catch((error: unknown) => fail(target, error))
  await until(target, () => target.remaining === 0, ROUND_TIMEOUT, 'the round did not end')
  await published
  const seconds = (target.finishedAt - started) / 1000
  const client = process.cpuUsage(clientBefore)
  const serverAfter = cpu()
  const redisAfter = processCpuSeconds(redis.pid)
  const deliveries = messages * target.states.length
  const perDelivery = (before: number | undefined, after: number | undefined) => (before !== undefined && after !== undefined ? round(((after - before) * 1e6) / deliveries, 3) : undefined)
  const serverCpuUs = perDelivery(serverBefore, serverAfter)
  const redisCpuUs = perDelivery(redisBefore, redisAfter)
  return {
    rate: round(deliveries / seconds, 1),
    seconds: round(seconds, 3),
    deliveries,
    ...(serverCpuUs !== undefined ? { serverCpuUs } : {}),
    clientCpuUs: round(((client.user + client.system) / deliveries), 3),
    ...(redisCpuUs !== undefined ? { redisCpuUs } : {}),
  }
}

type Key = 'rate' | 'serverCpuUs' | 'clientCpuUs' | 'redisCpuUs'

const medianOf = (rounds: readonly RoundResult[], key: Key, digits: number) => {
  const values = rounds.map((r) => r[key])
  return values.length > 0 && values.every((v) => v !== undefined) ? round(median(values as number[]), digits) : undefined
}

const summarize = (rounds: readonly RoundResult[]) => ({
  rate: medianOf(rounds, 'rate', 1)!,
  serverCpuUs: medianOf(rounds, 'serverCpuUs', 3),
  clientCpuUs: medianOf(rounds, 'clientCpuUs', 3),
  redisCpuUs: medianOf(rounds, 'redisCpuUs', 3),
})

type Summary = ReturnType<typeof summarize>

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? round(a / b, 3) : undefined)

function formatResults(summaries: Map<string, Summary>, subscribers: number, messages: number): string {
  const names = STACKS.map((stack) => stack.name).filter((name) => INSTANCES.some((n) => summaries.has(`${name} ×${n}`)))
  const others = names.filter((name) => name !== 'wirerpc')
  const withRatios = names.includes('wirerpc')
  const header = ['workload', 'unit', ...names.flatMap((name) => (withRatios && name !== 'wirerpc' ? [name, `${name}/wirerpc`] : [name]))]
  const rows: (string | number)[][] = [header]
  const fmt = (key: Key, v: number | undefined) => (v === undefined ? '' : key === 'rate' ? Math.round(v) : v)
  const row = (label: string, unit: string, value: (name: string) => number | undefined, key: Key) => {
    rows.push([
      label,
      unit,
      ...names.flatMap((name) => {
        const v = value(name)
        if (!withRatios || !others.includes(name)) return [fmt(key, v)]
        const r = ratio(v, value('wirerpc'))
        return [fmt(key, v), r ?? '']
      }),
    ])
  }
  const load = `${subscribers.toLocaleString('en-US')} subs × ${messages.toLocaleString('en-US')} msgs`
  for (const n of INSTANCES) {
    const of = (name: string) => summaries.get(`${name} ×${n}`)
    const what = `${n} instance${n > 1 ? 's' : ''}`
    row(`${what}, ${load}`, 'deliveries/s', (name) => of(name)?.rate, 'rate')
    row(`${what}: server CPU (all instances)`, 'µs/delivery', (name) => of(name)?.serverCpuUs, 'serverCpuUs')
    row(`${what}: client CPU (bench process)`, 'µs/delivery', (name) => of(name)?.clientCpuUs, 'clientCpuUs')
    row(`${what}: redis-server CPU`, 'µs/delivery', (name) => of(name)?.redisCpuUs, 'redisCpuUs')
  }
  const scaling = (name: string) => ratio(summaries.get(`${name} ×2`)?.rate, summaries.get(`${name} ×1`)?.rate)
  rows.push(['2 instances / 1 instance', 'ratio', ...names.flatMap((name) => (withRatios && others.includes(name) ? [scaling(name) ?? '', ''] : [scaling(name) ?? '']))])
  return formatTable(rows)
}

export const fanoutBenchmark: Benchmark = {
  name: 'fanout',
  title: 'Fan-out across instances over Redis: wirerpc (Redis Streams) vs Socket.IO (redis-adapter)',
  async run(config: BenchConfig) {
    const subscribers = positiveInteger('BENCH_FANOUT_SUBSCRIBERS', 1000)
    const messages = positiveInteger('BENCH_FANOUT_MESSAGES', 2000)
    // Enough for a whole round, so that a reader that falls behind a burst is never trimmed past
    // (the default, 1,000, would be smaller than one round of the default load).
    const retention = messages + 1000
    const redis = await startBenchRedis()
    const targets: Target[] = []
    try {
      for (const n of INSTANCES) {
        for (const stack of STACKS) {
          if (subscribers < n) continue
          targets.push(await startTarget(stack, n, subscribers, redis, retention))
        }
      }
      // Warm-up: rounds until BENCH_WARMUP seconds have passed, at least one, per target.
      for (const target of targets) {
        const end = performance.now() + config.warmup * 1000
        do await runRound(target, messages, redis)
        while (performance.now() < end)
      }
      const rounds = new Map<string, RoundResult[]>(targets.map((target) => [target.label, []]))
      // Interleaved so that noise from other tenants spreads over all targets alike.
      for (let i = 0; i < config.rounds; i++) {
        for (const target of targets) {
          const result = await runRound(target, messages, redis)
          rounds.get(target.label)!.push(result)
          console.error(`  ${target.label} round ${i + 1}: ${Math.round(result.rate)} deliveries/s (${result.seconds} s)`)
        }
      }
      const summaries = new Map([...rounds].map(([label, results]) => [label, summarize(results)]))
      const ratios = Object.fromEntries(
        INSTANCES.map((n) => [
          `${n}`,
          Object.fromEntries(
            STACKS.filter((s) => s.name !== 'wirerpc').map((s) => [s.name, ratio(summaries.get(`${s.name} ×${n}`)?.rate, summaries.get(`wirerpc ×${n}`)?.rate)]),
          ),
        ]),
      )
      return {
        table: formatResults(summaries, subscribers, messages),
        results: {
          subscribers,
          messages,
          retention,
          publish: 'a request to instance 0 over the stack client; wirerpc publishes to the Redis stream, Socket.IO emits to the room (local + Redis Pub/Sub)',
          targets: Object.fromEntries([...rounds].map(([label, results]) => [label, { median: summaries.get(label), rounds: results }])),
          ratioToWirerpc: ratios,
        },
      }
    } finally {
      await Promise.allSettled(targets.map(stopTarget))
      await redis.stop()
    }
  },
}
