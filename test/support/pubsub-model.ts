// A model check of the in-memory PubSub's promise, "no silent gap, ever": random publishes,
// subscribers that come and go, resumes from any id ever given out, and (with a journal) restarts.
// Every resume must either replay exactly the events of its topic after that id, or throw
// `ResyncRequiredError`; every id must be greater than the ones before it. Used by
// test/service/memory-pubsub.test.ts and test/node/file-pubsub.test.ts.
import fc from 'fast-check'
import { expect } from 'vitest'
import { ResyncRequiredError, type MemoryPubSub, type PubSubEvent } from 'wirerpc/service'

const TOPICS = 4

export type Op =
  | { readonly kind: 'publish'; readonly topic: number }
  | { readonly kind: 'listen'; readonly topic: number } // starts a subscriber, or ends the one there is
  | { readonly kind: 'resume'; readonly topic: number; readonly pick: number }
  | { readonly kind: 'restart' }

/** Random operations; `restart` only when the PubSub has a journal to restart from. */
export function ops(restarts: boolean): fc.Arbitrary<Op[]> {
  const topic = fc.nat(TOPICS - 1)
  const op = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('publish' as const), topic }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('listen' as const), topic }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('resume' as const), topic, pick: fc.nat() }), weight: 3 },
    ...(restarts ? [{ arbitrary: fc.constant({ kind: 'restart' as const }), weight: 1 }] : []),
  )
  return fc.array(op, { maxLength: 40 })
}

const seqOf = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1))
const epochOf = (id: string) => id.slice(0, id.lastIndexOf('-'))

/**
 * Runs `steps` against the PubSub that `open` makes (called again for each restart), checking
 * each resume against the events really published. Returns how many resumes replayed and how
 * many were told to resync (so that a caller can see both happen).
 */
export async function check(open: () => MemoryPubSub, steps: readonly Op[]): Promise<{ replayed: number; resynced: number }> {
  let pubsub = open()
  const published: { topic: number; id: string }[] = []
  const listening = new Map<number, AbortController>()
  const counts = { replayed: 0, resynced: 0 }

  const publish = async (topic: number, value: unknown) => {
    const id = await pubsub.publish(`t${topic}`, value)
    const previous = published.at(-1)?.id
    if (previous !== undefined) {
      expect(epochOf(id)).toBe(epochOf(previous))
      expect(seqOf(id)).toBeGreaterThan(seqOf(previous))
    }
    published.push({ topic, id })
    return id
  }

  try {
    for (const step of steps) {
      if (step.kind === 'publish') {
        await publish(step.topic, published.length)
      } else if (step.kind === 'listen') {
        const controller = listening.get(step.topic)
        if (controller) {
          controller.abort()
          listening.delete(step.topic)
        } else {
          const started = new AbortController()
          pubsub.subscribe(`t${step.topic}`, { signal: started.signal })
          listening.set(step.topic, started)
        }
      } else if (step.kind === 'restart') {
        for (const controller of listening.values()) controller.abort()
        listening.clear()
        await pubsub.close()
        pubsub = open()
      } else {
        // Any id ever given out (of any topic), or one from the future.
        const future = `${epochOf(published[0]?.id ?? '1-0')}-${seqOf(published.at(-1)?.id ?? '1-0') + 1}`
        const after = step.pick % (published.length + 1) === published.length ? future : published[step.pick % (published.length + 1)]!.id
        const expected = published.filter((event) => event.topic === step.topic && seqOf(event.id) > seqOf(after)).map((event) => event.id)
        const got = await resume(step.topic, after)
        if (got === undefined) counts.resynced++
        else {
          expect(got.map((event) => event.id), `resume of t${step.topic} after ${after}`).toEqual(expected)
          counts.replayed++
        }
      }
    }
  } finally {
    for (const controller of listening.values()) controller.abort()
    await pubsub.close()
  }
  return counts

  /** What a resume replays (a sentinel published right after it marks the end), or `undefined` for a resync. */
  async function resume(topic: number, lastEventId: string): Promise<PubSubEvent[] | undefined> {
    const controller = new AbortController()
    const iterator = pubsub.subscribe(`t${topic}`, { lastEventId, signal: controller.signal })[Symbol.asyncIterator]()
    const first = iterator.next()
    first.catch(() => {}) // awaited below, after the sentinel
    const sentinel = await publish(topic, 'sentinel')
    const events: PubSubEvent[] = []
    try {
      for (let result = await first; !result.done; result = await iterator.next()) {
        if (result.value.id === sentinel) return events
        events.push(result.value)
      }
      throw new Error('the subscription ended before its sentinel')
    } catch (error) {
      if (ResyncRequiredError.is(error)) return undefined
      throw error
    } finally {
      controller.abort()
    }
  }
}
