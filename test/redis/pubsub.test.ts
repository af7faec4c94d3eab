// createRedisPubSub against a real redis-server (started here, on a free port): order and ids,
// one blocking reader per process, resuming after an event id, retention, a Redis restart.
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createRedisPubSub, type RedisPubSubOptions } from 'wirerpc/redis'
import { ResyncRequiredError, type PubSub, type PubSubEvent } from 'wirerpc/service'
import { startRedisServer, type RedisServer } from './redis-server.js'

let redis: RedisServer
let admin: ReturnType<typeof createClient>
const opened: PubSub[] = []
let prefixes = 0

beforeAll(async () => {
  redis = await startRedisServer()
  admin = createClient({ url: redis.url })
  admin.on('error', () => {})
  await admin.connect()
})

afterAll(async () => {
  await Promise.all(opened.splice(0).map((pubsub) => pubsub.close()))
  if (admin?.isOpen) await admin.close()
  await redis?.dispose()
})

/** A PubSub on its own key prefix, closed after the file. */
function open(options: RedisPubSubOptions = {}): PubSub {
  const pubsub = createRedisPubSub({ url: redis.url, keyPrefix: `test${++prefixes}:`, ...options })
  opened.push(pubsub)
  return pubsub
}

/** Collects events of `iterable` until `until` says stop (or `timeoutMs`); returns them. */
function collect<T>(iterable: AsyncIterable<PubSubEvent<T>>, until: (events: PubSubEvent<T>[]) => boolean, timeoutMs = 10_000) {
  const events: PubSubEvent<T>[] = []
  const done = (async () => {
    const deadline = Date.now() + timeoutMs
    for await (const event of iterable) {
      events.push(event)
      if (until(events)) break
      if (Date.now() > deadline) throw new Error(`collect: timed out after ${events.length} events`)
    }
    return events
  })()
  return { events, done }
}

/** The reader connections open on the server (createRedisPubSub names them). */
async function readerConnections() {
  return (await admin.clientList()).filter((client) => client.name === 'wirerpc-pubsub-reader')
}

const values = (events: PubSubEvent<{ n: number }>[]) => events.map((event) => event.value.n)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('publish and subscribe', () => {
  it('delivers each topic in order with the ids publish returned, to several subscribers over one reader connection', async () => {
    const pubsub = open()
    const readersBefore = (await readerConnections()).length
    const controller = new AbortController()
    const subscribe = (topic: string) => pubsub.subscribe<{ n: number }>(topic, { signal: controller.signal })
    const a1 = collect(subscribe('a'), (events) => events.length === 20)
    const a2 = collect(subscribe('a'), (events) => events.length === 20)
    const b1 = collect(subscribe('b'), (events) => events.length === 20)
    await tick(100) // their start positions are resolved
    const ids: Record<string, string[]> = { a: [], b: [] }
    for (let n = 1; n <= 20; n++) {
      ids['a']!.push(await pubsub.publish('a', { n }))
      ids['b']!.push(await pubsub.publish('b', { n }))
    }
    const [ea1, ea2, eb1] = await Promise.all([a1.done, a2.done, b1.done])
    expect(values(ea1)).toEqual(range(1, 20))
    expect(values(ea2)).toEqual(range(1, 20))
    expect(values(eb1)).toEqual(range(1, 20))
    expect(ea1.map((event) => event.id)).toEqual(ids['a'])
    expect(eb1.map((event) => event.id)).toEqual(ids['b'])
    expect(ids['a']!.every((id) => /^\d+-\d+$/.test(id))).toBe(true)
    // Three subscribers, two topics: one blocking reader connection for this PubSub.
    const readers = await readerConnections()
    expect(readers.length - readersBefore).toBe(1)
    controller.abort()
  })

  it('reads a topic added while XREAD blocks at once (CLIENT UNBLOCK), not after blockMs', async () => {
    const pubsub = open({ blockMs: 10_000 })
    const controller = new AbortController()
    const first = collect(pubsub.subscribe<{ n: number }>('first', { signal: controller.signal }), () => false)
    await tick(200) // the reader now blocks on "first" alone
    const started = Date.now()
    const second = collect(pubsub.subscribe<{ n: number }>('second', { signal: controller.signal }), (events) => events.length === 1)
    await tick(50)
    await pubsub.publish('second', { n: 1 })
    expect(values(await second.done)).toEqual([1])
    expect(Date.now() - started).toBeLessThan(2_000)
    controller.abort()
    await first.done
  })

  it('gives a new subscriber of a topic already read nothing from before it subscribed and everything after', async () => {
    const pubsub = open()
    const controller = new AbortController()
    const early = collect(pubsub.subscribe<{ n: number }>('t', { signal: controller.signal }), (events) => events.length === 200)
    await tick(100)
    let late: ReturnType<typeof collect<{ n: number }>> | undefined
    for (let n = 1; n <= 200; n++) {
      // Not awaited in between: the late subscriber joins while events are in flight.
      const published = pubsub.publish('t', { n })
      if (n === 100) late = collect(pubsub.subscribe<{ n: number }>('t', { signal: controller.signal }), (events) => events.at(-1)?.value.n === 200)
      await published
    }
    expect(values(await early.done)).toEqual(range(1, 200))
    const got = values(await late!.done)
    // It subscribed while publish 100 was in flight: it starts with 100 or 101, then has no gap.
    expect(got[0]).toBeGreaterThanOrEqual(100)
    expect(got[0]).toBeLessThanOrEqual(101)
    expect(got).toEqual(range(got[0]!, 200))
    controller.abort()
  })

  it('ends the iterators and quits its connections on close()', async () => {
    const pubsub = createRedisPubSub({ url: redis.url, keyPrefix: 'closing:' })
    const readersBefore = (await readerConnections()).length
    const sub = collect(pubsub.subscribe('c'), () => false)
    await tick(100)
    expect((await readerConnections()).length).toBe(readersBefore + 1)
    await pubsub.close()
    expect(await sub.done).toEqual([])
    // The server drops the destroyed reader connection a moment later.
    await vi.waitFor(async () => expect((await readerConnections()).length).toBe(readersBefore), { timeout: 3000 })
    await expect(pubsub.publish('c', 1)).rejects.toThrow(/closed/)
  })

  it('leaves a client passed in open', async () => {
    const client = createClient({ url: redis.url })
    await client.connect()
    const pubsub = createRedisPubSub({ client, keyPrefix: 'own:' })
    const controller = new AbortController()
    const sub = collect(pubsub.subscribe<{ n: number }>('o', { signal: controller.signal }), (events) => events.length === 2)
    await tick(100)
    await pubsub.publish('o', { n: 1 })
    await pubsub.publish('o', { n: 2 })
    expect(values(await sub.done)).toEqual([1, 2])
    await pubsub.close()
    expect(client.isOpen).toBe(true)
    expect(await client.ping()).toBe('PONG')
    await client.close()
  })
})

describe('resuming after an event id', () => {
  it('replays exactly the events after lastEventId, then goes on live without duplicates', async () => {
    const pubsub = open()
    const ids: string[] = []
    const controller = new AbortController()
    let resumed: ReturnType<typeof collect<{ n: number }>> | undefined
    for (let n = 1; n <= 300; n++) {
      const published = pubsub.publish('r', { n })
      // Resume after event 50 while 100 is being published: the replay and the live events meet.
      if (n === 100) resumed = collect(pubsub.subscribe<{ n: number }>('r', { signal: controller.signal, lastEventId: ids[49] }), (events) => events.at(-1)?.value.n === 300)
      ids.push(await published)
    }
    const events = await resumed!.done
    expect(values(events)).toEqual(range(51, 300))
    expect(events.map((event) => event.id)).toEqual(ids.slice(50))
    controller.abort()
  })

  it('resumes from an id the stream does not hold but still covers', async () => {
    const pubsub = open({ keyPrefix: 'covered:' })
    for (const id of ['100-1', '100-5', '200-1']) await admin.xAdd('covered:t', id, { v: JSON.stringify({ n: Number(id.replace('-', '')) }) })
    const controller = new AbortController()
    const events = await collect(pubsub.subscribe<{ n: number }>('t', { signal: controller.signal, lastEventId: '100-3' }), (got) => got.length === 2).done
    expect(events.map((event) => event.id)).toEqual(['100-5', '200-1'])
    controller.abort()
  })

  it('throws ResyncRequiredError when the retention no longer holds the events after lastEventId', async () => {
    // MAXLEN ~ trims whole macro nodes (100 entries by default): with retention 100, 250 events
    // leave the last 150 (101 to 250); the test does not depend on more than "at least 100 kept".
    const pubsub = open({ retention: 100 })
    const ids: string[] = []
    for (let n = 1; n <= 250; n++) ids.push(await pubsub.publish('short', { n }))
    const length = await admin.xLen(`test${prefixes}:short`)
    expect(length).toBeGreaterThanOrEqual(100)
    expect(length).toBeLessThan(250)
    const kept = 250 - length // events 1..kept were trimmed
    const iterate = async (lastEventId: string) => {
      const events: number[] = []
      for await (const event of pubsub.subscribe<{ n: number }>('short', { lastEventId })) {
        events.push(event.value.n)
        if (event.value.n === 250) break
      }
      return events
    }
    const error = await iterate(ids[0]!).catch((caught: unknown) => caught)
    expect(ResyncRequiredError.is(error)).toBe(true)
    expect((error as ResyncRequiredError).lastEventId).toBe(ids[0])
    // The first event still held: everything after it.
    expect(await iterate(ids[kept]!)).toEqual(range(kept + 2, 250))
    // Not an id of this stream at all, from the future, or a topic that never had events.
    for (const lastEventId of ['not-an-id', '99999999999999-0']) await expect(iterate(lastEventId)).rejects.toSatisfy(ResyncRequiredError.is)
    await expect(
      (async () => {
        for await (const _ of pubsub.subscribe('never', { lastEventId: ids[200] })) break
      })(),
    ).rejects.toSatisfy(ResyncRequiredError.is)
  })
})

describe('a Redis restart', () => {
  it('ends a subscription with ResyncRequiredError when the stream lost what it had not seen', async () => {
    const pubsub = open({ keyPrefix: 'lost:' })
    const received: number[] = []
    const loop = (async () => {
      for await (const event of pubsub.subscribe<{ n: number }>('y')) received.push(event.value.n)
    })()
    await tick(100)
    for (let n = 1; n <= 5; n++) await pubsub.publish('y', { n })
    await expect.poll(() => received.length).toBe(5)
    // As after a restart of a Redis without persistence: the stream is gone, the connections drop.
    await admin.del('lost:y')
    for (const reader of await readerConnections()) await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(reader.id)])
    const error = await loop.catch((caught: unknown) => caught)
    expect(ResyncRequiredError.is(error)).toBe(true)
    expect(received).toEqual(range(1, 5))
  })

  it('loses nothing: the readers retry and go on from the ids they delivered (append-only file)', async () => {
    const errors: unknown[] = []
    const pubsub = open({ keyPrefix: 'restart:', onError: (error) => errors.push(error) })
    const publisher = open({ keyPrefix: 'restart:' }) // another instance publishing
    const controller = new AbortController()
    const until = (events: PubSubEvent<{ n: number }>[]) => events.at(-1)?.value.n === 60
    const subs = [collect(pubsub.subscribe<{ n: number }>('x', { signal: controller.signal }), until, 20_000), collect(pubsub.subscribe<{ n: number }>('x', { signal: controller.signal }), until, 20_000)]
    const other = collect(publisher.subscribe<{ n: number }>('x', { signal: controller.signal }), until, 20_000)
    await tick(100)
    for (let n = 1; n <= 30; n++) await publisher.publish('x', { n })
    await redis.stop()
    // Published while Redis is down: node-redis queues them until it has reconnected.
    const queued = range(31, 40).map((n) => publisher.publish('x', { n }))
    await tick(300)
    await redis.start()
    await Promise.all(queued)
    for (let n = 41; n <= 60; n++) await publisher.publish('x', { n })
    for (const sub of [...subs, other]) expect(values(await sub.done)).toEqual(range(1, 60))
    expect(errors.length).toBeGreaterThan(0) // the reader did fail, and recovered
    controller.abort()
  }, 30_000)
})
