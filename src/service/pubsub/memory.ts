/**
 * The in-memory PubSub: one process, events kept per topic up to a bound, ids that keep growing
 * across restarts (they start at the boot time), so that a client resuming with an id from before
 * a restart gets a `ResyncRequiredError` rather than a silent gap. With a journal (`wirerpc/node`'s
 * `createFilePubSub`), the retained events and the id epoch survive a restart instead.
 *
 * A topic exists only while it has subscribers or retained events, and at most `maxTopics` topics
 * without subscribers keep theirs: topic names can come from clients, and each would otherwise stay
 * for the life of the process. A forgotten topic may be created again, so ids come from one
 * sequence shared by every topic (an id is never given twice), and each topic keeps a floor: the
 * sequence number at or below which it may have lost events. A resume from below the floor is a
 * resync.
 *
 * @module
 */
import { ResyncRequiredError, type PubSub, type PubSubEvent, type PubSubSubscribeOptions } from './pubsub.js'
import { EventQueue } from './queue.js'

export interface MemoryPubSubOptions {
  /** Events kept per topic for subscribers that resume (`lastEventId`). @default 1000 */
  retention?: number
  /**
   * Most topics that keep their retained events while nobody subscribes to them. Past it, the
   * least recently active one (published on, or left by its last subscriber) is forgotten with its
   * events, and a subscriber resuming it gets a `ResyncRequiredError`. Topics with a subscriber are
   * never forgotten and do not count. 0 keeps events only while someone subscribes.
   * @default 10_000 // topics
   */
  maxTopics?: number
}

/** The in-memory PubSub, which also tells the newest event id of a topic. */
export interface MemoryPubSub extends PubSub {
  /**
   * The id of the newest event published on `topic` (in this process or, with a journal, before a
   * restart); `undefined` if none, or if the topic was forgotten (see `maxTopics`).
   */
  lastEventId(topic: string): string | undefined
}

/**
 * @internal One topic's retained events (oldest first) and its floor: every event published on the
 * topic with a greater sequence number is among them.
 */
export interface TopicEvents {
  readonly events: PubSubEvent[]
  floor: number
}

interface Topic extends TopicEvents {
  readonly listeners: Set<(event: PubSubEvent) => void>
  /** Sequence number of the newest event published on it (0: none since it was created). */
  last: number
}

/** @internal Where a journaled PubSub keeps its events across restarts (src/node/file-pubsub.ts). */
export interface MemoryJournal {
  /** The first part of every event id, kept across restarts. */
  readonly epoch: number
  /** The newest sequence number given out before (0: none); the sequence goes on above it. */
  readonly seq: number
  /** What the journal held at start, per topic, least recently published first (at most `retention` events each: taken as they are). */
  readonly restored: ReadonlyMap<string, TopicEvents>
  /** Records an event before any subscriber sees it; `retained` lists what every topic retains now (to compact from). */
  append(topic: string, event: PubSubEvent, retained: () => Iterable<[string, TopicEvents]>): void
  close(): void
}

export function createMemoryPubSub(options: MemoryPubSubOptions = {}): MemoryPubSub {
  return journaledPubSub(checkRetention(options.retention), checkMaxTopics(options.maxTopics), undefined)
}

/** @internal `retention` checked, or its default. */
export function checkRetention(retention = 1000): number {
  if (!(Number.isInteger(retention) && retention >= 0)) throw new TypeError(`Invalid \`retention\` ${String(retention)}: pass a whole number of events.`)
  return retention
}

/** @internal `maxTopics` checked, or its default. */
export function checkMaxTopics(maxTopics = 10_000): number {
  if (!(Number.isInteger(maxTopics) && maxTopics >= 0)) throw new TypeError(`Invalid \`maxTopics\` ${String(maxTopics)}: pass a whole number of topics.`)
  return maxTopics
}

/** @internal The sequence number of an event id (`<epoch>-<seq>`). */
export function seqOf(id: string): number {
  return Number(id.slice(id.lastIndexOf('-') + 1))
}

/** @internal The in-memory PubSub, with an optional journal. */
export function journaledPubSub(retention: number, maxTopics: number, journal: MemoryJournal | undefined): MemoryPubSub {
  // Ids are "<boot>-<seq>": another boot never reuses one (unless a journal carries the epoch
  // over), and order within a boot is the seq.
  const boot = journal?.epoch ?? Date.now()
  let seq = journal?.seq ?? 0
  // Each topic is in one of the two: subscribed to, or not but retaining events (least recently
  // active first, the order in which they are forgotten).
  const live = new Map<string, Topic>()
  const idle = new Map<string, Topic>()
  const retained = function* (): Iterable<[string, TopicEvents]> {
    yield* live
    yield* idle
  }

  /** `topic` has no subscriber now: the most recently active idle topic if it retains events, forgotten otherwise. */
  const settle = (name: string, topic: Topic) => {
    live.delete(name)
    idle.delete(name)
    if (topic.events.length === 0) return
    idle.set(name, topic)
    if (idle.size <= maxTopics) return
    // Deleting while iterating a Map is safe: the loop goes on with the next entry.
    for (const oldest of idle.keys()) {
      idle.delete(oldest)
      if (idle.size <= maxTopics) break
    }
  }
  for (const [name, { events, floor }] of journal?.restored ?? []) {
    if (events.length > 0) settle(name, { events, floor, last: seqOf(events.at(-1)!.id), listeners: new Set() })
  }

  return {
    async publish(name, value) {
      const event = { id: `${boot}-${seq + 1}`, value: structuredClone(value) }
      // Journaled before anyone sees it: an event delivered is an event that survives a restart.
      journal?.append(name, event, retained)
      seq++
      // A new topic may have lost everything before this event (it may have been forgotten).
      const topic = live.get(name) ?? idle.get(name) ?? { events: [], listeners: new Set(), floor: seq - 1, last: 0 }
      topic.last = seq
      if (topic.events.push(event) > retention) topic.floor = seqOf(topic.events.shift()!.id)
      for (const listener of topic.listeners) listener(event)
      if (topic.listeners.size === 0) settle(name, topic)
      return event.id
    },
    subscribe<T>(name: string, { signal, lastEventId }: PubSubSubscribeOptions = {}): AsyncIterable<PubSubEvent<T>> {
      let topic = live.get(name)
      if (!topic) {
        // Created now, it holds every event from now on; what came before may have been forgotten.
        topic = idle.get(name) ?? { events: [], listeners: new Set(), floor: seq, last: 0 }
        idle.delete(name)
        live.set(name, topic)
      }
      const subscribed = topic
      const queue = new EventQueue()
      const listener = (event: PubSubEvent) => queue.push(event)
      const stop = () => {
        signal?.removeEventListener('abort', stop)
        queue.end() // wakes the iterator, which then sees the abort
        // Only the first call counts (the abort, then the iterator's end, both call it).
        if (subscribed.listeners.delete(listener) && subscribed.listeners.size === 0) settle(name, subscribed)
      }
      // Registered at once (not at the first next()), so nothing published meanwhile is missed.
      topic.listeners.add(listener)
      signal?.addEventListener('abort', stop)
      if (signal?.aborted) stop()
      if (lastEventId !== undefined) {
        const replay = replayAfter(topic, boot, seq, lastEventId)
        if (replay === undefined) {
          stop()
          return failing(new ResyncRequiredError(name, lastEventId))
        }
        queue.prepend(replay)
      }
      return queue.drain<T>(signal, { onEnd: stop })
    },
    lastEventId(name) {
      const last = (live.get(name) ?? idle.get(name))?.last
      return last ? `${boot}-${last}` : undefined
    },
    async close() {
      for (const topic of live.values()) topic.listeners.clear()
      live.clear()
      idle.clear()
      journal?.close()
    },
  }
}

/** The events of `topic` after `lastEventId`, or `undefined` when it may not hold them all. */
function replayAfter(topic: Topic, boot: number, newest: number, lastEventId: string): PubSubEvent[] | undefined {
  const match = /^(\d+)-(\d+)$/.exec(lastEventId)
  if (!match || Number(match[1]) !== boot) return undefined // another process's id (a restart)
  const after = Number(match[2])
  if (after > newest) return undefined // from the future: not ours
  if (after < topic.floor) return undefined // events right after it may be gone
  let start = topic.events.length
  while (start > 0 && seqOf(topic.events[start - 1]!.id) > after) start--
  return topic.events.slice(start)
}

function failing<T>(error: Error): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
  }
}
