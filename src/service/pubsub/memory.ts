/**
 * The in-memory PubSub: one process, events kept per topic up to a bound, ids that keep growing
 * across restarts (they start at the boot time), so that a client resuming with an id from before
 * a restart gets a `ResyncRequiredError` rather than a silent gap.
 *
 * @module
 */
import { ResyncRequiredError, type PubSub, type PubSubEvent, type PubSubSubscribeOptions } from './pubsub.js'

export interface MemoryPubSubOptions {
  /** Events kept per topic for subscribers that resume (`lastEventId`). @default 1000 */
  retention?: number
}

interface Topic {
  readonly events: PubSubEvent[]
  readonly listeners: Set<(event: PubSubEvent) => void>
  /** Sequence number of the newest event (0: none yet). */
  last: number
}

/** Most events a slow subscriber may have queued before its oldest are dropped. */
const MAX_QUEUED = 10_000

export function createMemoryPubSub(options: MemoryPubSubOptions = {}): PubSub {
  const retention = options.retention ?? 1000
  if (!(Number.isInteger(retention) && retention >= 0)) throw new TypeError(`Invalid \`retention\` ${String(retention)}: pass a whole number of events.`)
  // Ids are "<boot>-<seq>": another boot never reuses one, and order within a boot is the seq.
  const boot = Date.now()
  const topics = new Map<string, Topic>()
  const topicOf = (name: string): Topic => {
    let topic = topics.get(name)
    if (!topic) topics.set(name, (topic = { events: [], listeners: new Set(), last: 0 }))
    return topic
  }

  return {
    async publish(name, value) {
      const topic = topicOf(name)
      const event = { id: `${boot}-${++topic.last}`, value: structuredClone(value) }
      topic.events.push(event)
      if (topic.events.length > retention) topic.events.shift()
      for (const listener of topic.listeners) listener(event)
      return event.id
    },
    subscribe<T>(name: string, { signal, lastEventId }: PubSubSubscribeOptions = {}): AsyncIterable<PubSubEvent<T>> {
      const topic = topicOf(name)
      const queue: PubSubEvent[] = []
      let wake: (() => void) | undefined
      const listener = (event: PubSubEvent) => {
        if (queue.push(event) > MAX_QUEUED) queue.shift()
        wake?.()
      }
      const stop = () => {
        topic.listeners.delete(listener)
        signal?.removeEventListener('abort', stop)
        wake?.()
      }
      // Registered at once (not at the first next()), so nothing published meanwhile is missed.
      topic.listeners.add(listener)
      signal?.addEventListener('abort', stop)
      if (signal?.aborted) stop()
      if (lastEventId !== undefined) {
        const replay = replayAfter(topic, boot, lastEventId)
        if (replay === undefined) {
          stop()
          return failing(new ResyncRequiredError(name, lastEventId))
        }
        queue.unshift(...replay)
      }
      return (async function* () {
        try {
          while (!signal?.aborted) {
            if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve))
            wake = undefined
            while (queue.length > 0 && !signal?.aborted) yield queue.shift() as PubSubEvent<T>
          }
        } finally {
          stop()
        }
      })()
    },
    async close() {
      for (const topic of topics.values()) topic.listeners.clear()
      topics.clear()
    },
  }
}

/** The events after `lastEventId`, or `undefined` when the topic no longer holds them all. */
function replayAfter(topic: Topic, boot: number, lastEventId: string): PubSubEvent[] | undefined {
  const match = /^(\d+)-(\d+)$/.exec(lastEventId)
  if (!match || Number(match[1]) !== boot) return undefined // another process's id (a restart)
  const seq = Number(match[2])
  if (seq > topic.last) return undefined // from the future: not ours
  const oldest = topic.last - topic.events.length + 1
  if (seq + 1 < oldest) return undefined // the events right after it were dropped
  return topic.events.slice(seq + 1 - oldest)
}

function failing<T>(error: Error): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
  }
}
