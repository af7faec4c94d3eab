/**
 * The in-memory PubSub: one process, events kept per topic up to a bound, ids that keep growing
 * across restarts (they start at the boot time), so that a client resuming with an id from before
 * a restart gets a `ResyncRequiredError` rather than a silent gap. With a journal (`wirerpc/node`'s
 * `createFilePubSub`), the retained events and the id epoch survive a restart instead.
 *
 * @module
 */
import { ResyncRequiredError, type PubSub, type PubSubEvent, type PubSubSubscribeOptions } from './pubsub.js'
import { EventQueue } from './queue.js'

export interface MemoryPubSubOptions {
  /** Events kept per topic for subscribers that resume (`lastEventId`). @default 1000 */
  retention?: number
}

/** The in-memory PubSub, which also tells the newest event id of a topic. */
export interface MemoryPubSub extends PubSub {
  /** The id of the newest event published on `topic` (in this process or, with a journal, before a restart); `undefined` if none. */
  lastEventId(topic: string): string | undefined
}

/** @internal One topic's retained events (oldest first) and the sequence number of its newest event (0: none yet). */
export interface TopicEvents {
  readonly events: PubSubEvent[]
  last: number
}

interface Topic extends TopicEvents {
  readonly listeners: Set<(event: PubSubEvent) => void>
}

/** @internal Where a journaled PubSub keeps its events across restarts (src/node/file-pubsub.ts). */
export interface MemoryJournal {
  /** The first part of every event id, kept across restarts. */
  readonly epoch: number
  /** What the journal held at start, per topic (at most `retention` events each: taken as they are). */
  readonly restored: ReadonlyMap<string, TopicEvents>
  /** Records an event before any subscriber sees it; `topics` is everything retained now (to compact from). */
  append(topic: string, event: PubSubEvent, topics: ReadonlyMap<string, TopicEvents>): void
  close(): void
}

export function createMemoryPubSub(options: MemoryPubSubOptions = {}): MemoryPubSub {
  return journaledPubSub(checkRetention(options.retention), undefined)
}

/** @internal `retention` checked, or its default. */
export function checkRetention(retention = 1000): number {
  if (!(Number.isInteger(retention) && retention >= 0)) throw new TypeError(`Invalid \`retention\` ${String(retention)}: pass a whole number of events.`)
  return retention
}

/** @internal The in-memory PubSub, with an optional journal. */
export function journaledPubSub(retention: number, journal: MemoryJournal | undefined): MemoryPubSub {
  // Ids are "<boot>-<seq>": another boot never reuses one (unless a journal carries the epoch
  // over), and order within a boot is the seq.
  const boot = journal?.epoch ?? Date.now()
  const topics = new Map<string, Topic>()
  for (const [name, restored] of journal?.restored ?? []) topics.set(name, { events: restored.events, last: restored.last, listeners: new Set() })
  const topicOf = (name: string): Topic => {
    let topic = topics.get(name)
    if (!topic) topics.set(name, (topic = { events: [], listeners: new Set(), last: 0 }))
    return topic
  }

  return {
    async publish(name, value) {
      const topic = topicOf(name)
      const event = { id: `${boot}-${topic.last + 1}`, value: structuredClone(value) }
      // Journaled before anyone sees it: an event delivered is an event that survives a restart.
      journal?.append(name, event, topics)
      topic.last++
      topic.events.push(event)
      if (topic.events.length > retention) topic.events.shift()
      for (const listener of topic.listeners) listener(event)
      return event.id
    },
    subscribe<T>(name: string, { signal, lastEventId }: PubSubSubscribeOptions = {}): AsyncIterable<PubSubEvent<T>> {
      const topic = topicOf(name)
      const queue = new EventQueue()
      const listener = (event: PubSubEvent) => queue.push(event)
      const stop = () => {
        topic.listeners.delete(listener)
        signal?.removeEventListener('abort', stop)
        queue.end() // wakes the iterator, which then sees the abort
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
        queue.prepend(replay)
      }
      return queue.drain<T>(signal, { onEnd: stop })
    },
    lastEventId(name) {
      const last = topics.get(name)?.last
      return last ? `${boot}-${last}` : undefined
    },
    async close() {
      for (const topic of topics.values()) topic.listeners.clear()
      topics.clear()
      journal?.close()
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
