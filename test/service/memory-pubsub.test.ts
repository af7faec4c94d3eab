// createMemoryPubSub: which topics it keeps (those with subscribers, and up to `maxTopics` idle
// ones with retained events), and ids never given twice, so that a topic forgotten and created
// again never resumes a client into a silent gap. Heap figures are in memory-pubsub-heap.test.ts.
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryPubSub, ResyncRequiredError, type MemoryPubSub, type MemoryPubSubOptions, type PubSubEvent } from 'wirerpc/service'
import { check, ops } from '../support/pubsub-model.js'

const open: MemoryPubSub[] = []
afterEach(async () => {
  for (const pubsub of open.splice(0)) await pubsub.close()
})

function start(options?: MemoryPubSubOptions): MemoryPubSub {
  const pubsub = createMemoryPubSub(options)
  open.push(pubsub)
  return pubsub
}

const seqOf = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1))

/** The first `count` events of a subscription. */
async function take<T>(iterable: AsyncIterable<PubSubEvent<T>>, count: number): Promise<PubSubEvent<T>[]> {
  const events: PubSubEvent<T>[] = []
  if (count === 0) return events
  for await (const event of iterable) if (events.push(event) >= count) break
  return events
}

/** The first `count` values of a subscription resumed after `lastEventId`. */
async function resumeValues(pubsub: MemoryPubSub, topic: string, lastEventId: string, count: number): Promise<unknown[]> {
  return (await take(pubsub.subscribe(topic, { lastEventId }), count)).map((event) => event.value)
}

async function resyncOf(pubsub: MemoryPubSub, topic: string, lastEventId: string): Promise<unknown> {
  return pubsub.subscribe(topic, { lastEventId })[Symbol.asyncIterator]().next().catch((error: unknown) => error)
}

describe('ids', () => {
  it('gives ids that grow across all topics, one sequence for the PubSub', async () => {
    const pubsub = start()
    const ids: string[] = []
    for (let n = 0; n < 30; n++) ids.push(await pubsub.publish(`topic-${n % 3}`, n))
    const seqs = ids.map(seqOf)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(new Set(seqs).size).toBe(ids.length)
  })

  it('answers an id from the future, or from another process, with a ResyncRequiredError', async () => {
    const pubsub = start()
    const id = await pubsub.publish('t', 1)
    const [epoch] = id.split('-')
    expect(await resyncOf(pubsub, 't', `${epoch}-${seqOf(id) + 1}`)).toBeInstanceOf(ResyncRequiredError)
    expect(await resyncOf(pubsub, 't', `${Number(epoch) - 1}-${seqOf(id)}`)).toBeInstanceOf(ResyncRequiredError)
    expect(await resyncOf(pubsub, 't', 'not-an-id')).toBeInstanceOf(ResyncRequiredError)
  })
})

describe('forgetting topics', () => {
  it('forgets a topic with nothing retained when its last subscriber leaves, and tells no last id for it', async () => {
    const pubsub = start({ retention: 0 })
    const first = new AbortController()
    const second = new AbortController()
    const seen = take(pubsub.subscribe('t', { signal: first.signal }), 1)
    pubsub.subscribe('t', { signal: second.signal })
    await pubsub.publish('t', 'a')
    await seen
    expect(pubsub.lastEventId('t')).toMatch(/-1$/) // one subscriber is still there
    second.abort()
    expect(pubsub.lastEventId('t')).toBeUndefined()
  })

  it('does not resume a topic forgotten and created again from an id of before: ResyncRequiredError', async () => {
    const pubsub = start({ maxTopics: 0 }) // an idle topic is forgotten at once, with its events
    const controller = new AbortController()
    const seen = take(pubsub.subscribe('room', { signal: controller.signal }), 1)
    const before = [await pubsub.publish('room', 'a'), await pubsub.publish('room', 'b'), await pubsub.publish('room', 'c')]
    const last = (await seen)[0]!.id // the client got 'a' only, then dropped
    controller.abort()
    const after = [await pubsub.publish('room', 'd'), await pubsub.publish('room', 'e')]
    // With a sequence per topic, 'd' and 'e' would have had the ids of 'a' and 'b'.
    expect(after.some((id) => before.includes(id))).toBe(false)
    expect(await resyncOf(pubsub, 'room', last)).toBeInstanceOf(ResyncRequiredError)
  })

  it('resumes a topic created after an id with no gap when nothing was published since that id', async () => {
    const pubsub = start()
    const id = await pubsub.publish('other', 1)
    const replay = resumeValues(pubsub, 'new', id, 1)
    await pubsub.publish('new', 'first')
    expect(await replay).toEqual(['first'])
  })

  it('keeps the retained events of at most `maxTopics` idle topics, forgetting the least recently published first', async () => {
    const pubsub = start({ maxTopics: 2 })
    const a = await pubsub.publish('a', 'a1')
    const b = await pubsub.publish('b', 'b1')
    await pubsub.publish('a', 'a2') // `a` is now more recent than `b`
    await pubsub.publish('c', 'c1') // three idle topics: `b` goes
    expect(pubsub.lastEventId('b')).toBeUndefined()
    expect(await resyncOf(pubsub, 'b', b)).toBeInstanceOf(ResyncRequiredError)
    // The failed resume created `b` for a moment, retaining nothing: it is gone again, the others stay.
    expect(await resumeValues(pubsub, 'a', a, 1)).toEqual(['a2'])
    expect(pubsub.lastEventId('c')).toMatch(/-4$/)
  })

  it('counts a topic its last subscriber just left as recently active', async () => {
    const pubsub = start({ maxTopics: 2 })
    const controller = new AbortController()
    pubsub.subscribe('followed', { signal: controller.signal })
    const followed = await pubsub.publish('followed', 'f1') // the oldest publish
    await pubsub.publish('b', 'b1')
    controller.abort() // `followed` goes idle after `b` was published
    await pubsub.publish('c', 'c1') // three idle topics: `b` goes, not `followed`
    expect(pubsub.lastEventId('b')).toBeUndefined()
    expect(pubsub.lastEventId('followed')).toBe(followed)
  })

  it('never forgets a topic that has a subscriber, however many idle topics come after it', async () => {
    const pubsub = start({ maxTopics: 1, retention: 10 })
    const controller = new AbortController()
    pubsub.subscribe('live', { signal: controller.signal })
    const ids = [await pubsub.publish('live', 1), await pubsub.publish('live', 2)]
    for (let n = 0; n < 100; n++) await pubsub.publish(`idle-${n}`, n)
    expect(await resumeValues(pubsub, 'live', ids[0]!, 1)).toEqual([2])
    expect(pubsub.lastEventId('idle-98')).toBeUndefined()
    expect(pubsub.lastEventId('idle-99')).toMatch(/-102$/)
    controller.abort()
  })

  it('refuses a `maxTopics` that is not a whole number', () => {
    expect(() => createMemoryPubSub({ maxTopics: -1 })).toThrow(/Invalid `maxTopics` -1: pass a whole number of topics/)
    expect(() => createMemoryPubSub({ maxTopics: 1.5 })).toThrow(/Invalid `maxTopics`/)
  })
})

describe('no silent gap (model check)', () => {
  it('replays exactly the missed events of a topic or throws ResyncRequiredError, whatever was published, followed and forgotten', async () => {
    let replayed = 0
    let resynced = 0
    await fc.assert(
      fc.asyncProperty(fc.nat(3), fc.nat(3), ops(false), async (retention, maxTopics, steps) => {
        const counts = await check(() => createMemoryPubSub({ retention, maxTopics }), steps)
        replayed += counts.replayed
        resynced += counts.resynced
      }),
      { numRuns: 300 },
    )
    // Both outcomes happened: the check did not pass by resyncing everything.
    expect(replayed).toBeGreaterThan(100)
    expect(resynced).toBeGreaterThan(100)
  })
})
