/**
 * The four workloads that go through each peer's own client library (the fifth, idle connections,
 * is `idle.ts`). Each is bounded in count and in time: a loop stops at its count or its deadline,
 * and a wait that passes its deadline fails with a message naming the workload. The load process
 * runs one of them per process (`load.ts`).
 */
import { ECHO_VALUE, type Tick } from '../lib/client-ws-work.js'
import { checkEcho, TickChecker } from '../lib/client-ws-client.js'
import type { FanMessage, LoadResult, PeerClientModule, Settings } from './protocol.js'

const now = () => performance.now()

/** Rejects with `message` when `promise` has not settled within `seconds`. */
export async function within<T>(promise: Promise<T>, seconds: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${message} (after ${seconds} s)`)), seconds * 1000)))
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

/** Sequential echo calls on one connection: latency of each (µs), p50/p99 and calls/s. */
export async function rtt(peer: PeerClientModule, url: string, settings: Settings): Promise<LoadResult> {
  const client = await within(peer.connect(url), 10, 'rtt: connect')
  try {
    const warmupEnd = now() + 30_000
    for (let i = 0; i < settings.rttWarmup && now() < warmupEnd; i++) checkEcho(await client.echo(ECHO_VALUE), ECHO_VALUE)
    const latencies = new Float64Array(settings.rttCalls)
    const start = now()
    const end = start + settings.rttSeconds * 1000
    let count = 0
    while (count < settings.rttCalls && now() < end) {
      const sent = now()
      checkEcho(await client.echo(ECHO_VALUE), ECHO_VALUE)
      latencies[count++] = (now() - sent) * 1000
    }
    const seconds = (now() - start) / 1000
    const sorted = latencies.subarray(0, count).sort()
    return { p50Us: percentile(sorted, 0.5), p99Us: percentile(sorted, 0.99), rate: count / seconds, count, seconds }
  } finally {
    await client.close()
  }
}

/** `inFlight` echo calls outstanding on one connection (each answer sends the next); calls/s after a warm-up. */
export async function pipelined(peer: PeerClientModule, url: string, settings: Settings): Promise<LoadResult> {
  const client = await within(peer.connect(url), 10, 'pipelined: connect')
  try {
    const measureFrom = now() + settings.pipelinedWarmupSeconds * 1000
    const measureTo = measureFrom + settings.pipelinedSeconds * 1000
    let count = 0
    const worker = async () => {
      while (now() < measureTo) {
        checkEcho(await client.echo(ECHO_VALUE), ECHO_VALUE)
        const done = now()
        if (done >= measureFrom && done < measureTo) count++
      }
    }
    const total = settings.pipelinedWarmupSeconds + settings.pipelinedSeconds
    await within(Promise.all(Array.from({ length: settings.inFlight }, worker)), total + 15, 'pipelined: calls still unanswered')
    return { rate: count / settings.pipelinedSeconds, count, seconds: settings.pipelinedSeconds }
  } finally {
    await client.close()
  }
}

/** One stream of `streamWarmup` items, then one of `streamItems`, timed; count and order checked. */
export async function stream(peer: PeerClientModule, url: string, settings: Settings): Promise<LoadResult> {
  const client = await within(peer.connect(url), 10, 'stream: connect')
  const run = async (count: number) => {
    const checker = new TickChecker(count)
    await within(client.stream(count, (item: Tick) => checker.item(item)), 30 + count / 2_000, `stream: ${count} items not all received`)
    checker.end()
  }
  try {
    await run(settings.streamWarmup)
    const start = now()
    await run(settings.streamItems)
    const seconds = (now() - start) / 1000
    return { rate: settings.streamItems / seconds, count: settings.streamItems, seconds }
  } finally {
    await client.close()
  }
}

/** Runs `task` over `items` with at most `limit` at a time (opening hundreds of sockets at once overflows the listen backlog). */
export async function pooled<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await task(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  return results
}

const MEASURED_ROUND = 1_000

/**
 * `fanSubscribers` connections subscribed to one topic, a separate publisher connection. Warm-up
 * rounds (also the proof that every subscription is live) until all subscribers got a whole one;
 * then one measured round of `fanMessages`, timed from the publish call to the last delivery,
 * each subscriber checked for every message, in order.
 */
export async function fanout(peer: PeerClientModule, url: string, settings: Settings): Promise<LoadResult> {
  const { fanSubscribers: subscribers, fanMessages: messages, fanWarmupMessages: warmupMessages } = settings
  let failure: unknown
  const fail = (error: unknown) => void (failure ??= error)
  const warmLast = new Int32Array(subscribers).fill(-1)
  const warmRound = new Int32Array(subscribers)
  const next = new Int32Array(subscribers)
  let complete = 0
  let deliveries = 0
  let finished!: () => void
  const allDelivered = new Promise<void>((resolve) => (finished = resolve))
  const onMessage = (index: number) => (message: FanMessage) => {
    if (message.r !== MEASURED_ROUND) {
      // Warm-up: a subscription that went live late may miss the first messages, never reorder.
      if (message.r === warmRound[index] && message.s <= warmLast[index]!) fail(new Error(`fan-out: subscriber ${index} got warm-up ${message.s} after ${warmLast[index]}.`))
      warmRound[index] = message.r
      warmLast[index] = message.s
      return
    }
    if (message.s !== next[index]) return fail(new Error(`fan-out: subscriber ${index} got message ${message.s}, expected ${next[index]}.`))
    deliveries++
    if (++next[index]! === messages && ++complete === subscribers) finished()
  }
  const indexes = Array.from({ length: subscribers }, (_, i) => i)
  const subs = await within(pooled(indexes, 50, (i) => peer.subscribe(url, onMessage(i), fail)), 120, `fan-out: ${subscribers} subscribers not connected`)
  const publisher = await within(peer.connect(url), 10, 'fan-out: publisher connect')
  try {
    let warm = false
    for (let round = 1; round <= 5 && !warm; round++) {
      await within(peer.publish(publisher, round, warmupMessages), 60, `fan-out: warm-up round ${round} not published`)
      const deadline = now() + 10_000
      while (!(warm = indexes.every((i) => warmRound[i] === round && warmLast[i] === warmupMessages - 1)) && now() < deadline && !failure) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      if (failure) throw failure
    }
    if (!warm) throw new Error(`fan-out: after 5 warm-up rounds, ${indexes.filter((i) => warmLast[i] !== warmupMessages - 1).length} subscribers still miss messages.`)
    const start = now()
    const published = peer.publish(publisher, MEASURED_ROUND, messages)
    const timeout = 60 + (subscribers * messages) / 20_000
    await within(allDelivered, timeout, `fan-out: only ${deliveries} of ${subscribers * messages} deliveries arrived`).catch((error: unknown) => {
      throw failure ?? new Error(`${(error as Error).message}; ${deliveries} of ${subscribers * messages} deliveries`)
    })
    const seconds = (now() - start) / 1000
    await within(published, 30, 'fan-out: the publish call was not answered')
    if (failure) throw failure
    return { rate: deliveries / seconds, count: deliveries, seconds }
  } finally {
    await Promise.allSettled([publisher.close(), ...subs.map((sub) => sub.close())])
  }
}
