/**
 * `createRedisPubSub`: the `PubSub` contract of `wirerpc/service` (the semantics of the in-memory
 * one, `createMemoryPubSub`) on Redis Streams, so that server instances share their events and a
 * client resumes on any of them (docs/scaling.md).
 *
 * - A topic is the stream `<keyPrefix><topic>`; an event is an entry `v <JSON>`, its id the stream
 *   id (`<ms>-<seq>`), kept up to `retention` entries (`XADD … MAXLEN ~ retention`).
 * - One blocking reader per PubSub (per process), whatever the number of subscribers: a duplicated
 *   connection loops on `XREAD BLOCK blockMs STREAMS k1 k2 … id1 id2 …` over every topic that has
 *   a subscriber, each from the last id it read, and fans the entries out to that topic's local
 *   subscribers (each with its own bounded queue).
 * - When a topic is added while `XREAD` blocks, the command connection sends `CLIENT UNBLOCK
 *   <reader id>` so that the new topic is read at once (the reader learns its id with a
 *   `CLIENT ID` pipelined before each `XREAD`, so a reconnected reader is never confused with
 *   another client). A topic that loses its last subscriber is dropped at the next round.
 * - A subscriber starts after the topic's last entry at subscribe time (`XREVRANGE + - COUNT 1`),
 *   or after `lastEventId` (`XRANGE (lastEventId +`, in the same `MULTI` as the coverage check).
 *   It is registered before that query is sent and only takes ids greater than its position, so
 *   it gets nothing from before and misses nothing after, whatever the reader's position.
 * - When the reader fails (Redis restarted, network), it retries with backoff from the same ids;
 *   node-redis reconnects. After a failure, and when a round returns `retention` entries or more
 *   for a topic (the reader may have fallen behind the trimming), it checks with `XINFO STREAM`
 *   that the stream still holds what each subscriber has not seen; a subscriber it no longer
 *   holds gets a `ResyncRequiredError`.
 *
 * @module
 */
import { createClient, type RedisClientType } from 'redis'
import { ResyncRequiredError, type PubSub, type PubSubEvent, type PubSubSubscribeOptions } from '../service/pubsub/pubsub.js'
import { EventQueue } from '../service/pubsub/queue.js'
import { startReader } from './reader.js'
import { compareIds, covers, entriesOf, infoOf, STREAM_ID, successor, type Entry, type StreamInfo } from './streams.js'

/** A node-redis client (`createClient()` from `redis`), with any modules, RESP version and type mapping. */
export type RedisPubSubClient = RedisClientType<any, any, any, any, any>

export interface RedisPubSubOptions {
  /**
   * The Redis server to connect to (a `redis://` or `rediss://` URL), when no `client` is given:
   * `createRedisPubSub` then creates the command connection and the reader connection and closes
   * both in `close()`. @default 'redis://127.0.0.1:6379'
   */
  url?: string | undefined
  /**
   * An open node-redis client to use for commands (`XADD`, `XRANGE`, …) instead of `url`. The
   * blocking reader runs on a duplicate of it (`client.duplicate()`), which `close()` closes; the
   * client itself stays open (it is yours). A Redis Cluster client is not supported (one `XREAD`
   * reads every topic). @default undefined
   */
  client?: RedisPubSubClient | undefined
  /**
   * Events kept per topic, in events, for subscribers that resume (`lastEventId`):
   * `XADD … MAXLEN ~ retention`. `~` trims approximately: Redis drops whole macro nodes only
   * (`stream-node-max-entries`, 100 entries by default), so a stream holds at least `retention`
   * entries and up to about `retention + 100`. A whole number, 1 or more. @default 1000
   */
  retention?: number | undefined
  /** Prefix of the stream keys: topic `t` is the stream `<keyPrefix>t`. @default 'wirerpc:' */
  keyPrefix?: string | undefined
  /**
   * How long, in milliseconds, one `XREAD BLOCK` waits for new entries before it is sent again.
   * It bounds nothing visible (new topics unblock the reader at once with `CLIENT UNBLOCK`): a
   * shorter value only means more idle round trips. A whole number, 1 or more. @default 5000
   */
  blockMs?: number | undefined
  /**
   * Called with the errors that do not reach a caller: the reader's failed `XREAD` (it retries with
   * backoff), connection errors of the connections it created, an entry that is not JSON (it is
   * skipped). @default undefined (ignored)
   */
  onError?: ((error: unknown) => void) | undefined
}

/** The reader connection's name (`CLIENT LIST`), to tell it apart from the command connection. */
const READER_NAME = 'wirerpc-pubsub-reader'
/** Added to `blockMs` for the reader's command timeout, in ms. */
const READER_TIMEOUT_MARGIN_MS = 5000

interface Subscriber {
  /** The id of the last event queued (only greater ids are taken); `undefined` while the start position is resolving. */
  after: string | undefined
  /** Events fanned out while the start position was resolving. */
  pending: PubSubEvent[]
  /** Ended with a `ResyncRequiredError`, the error of the start query, or nothing (close, abort). */
  queue: EventQueue
}

interface Topic {
  readonly name: string
  readonly key: string
  readonly subscribers: Set<Subscriber>
  /** The id the reader reads this topic's stream after; `undefined` until its first subscriber has a start position. */
  cursor: string | undefined
}

export function createRedisPubSub(options: RedisPubSubOptions = {}): PubSub {
  const retention = options.retention ?? 1000
  if (!(Number.isInteger(retention) && retention >= 1)) throw new TypeError(`Invalid \`retention\` ${String(retention)}: pass a whole number of events, 1 or more.`)
  const blockMs = options.blockMs ?? 5000
  if (!(Number.isInteger(blockMs) && blockMs >= 1)) throw new TypeError(`Invalid \`blockMs\` ${String(blockMs)}: pass a whole number of milliseconds, 1 or more.`)
  const keyPrefix = options.keyPrefix ?? 'wirerpc:'
  const onError = options.onError ?? (() => {})
  const report = (error: unknown) => {
    try {
      onError(error)
    } catch {
      // A throwing onError must not stop the reader.
    }
  }

  const owned = options.client === undefined
  const command: RedisPubSubClient = options.client ?? (createClient({ url: options.url ?? 'redis://127.0.0.1:6379' }) as RedisPubSubClient)
  if (owned) command.on('error', report)
  // node-redis 6 times commands out after 5 s by default: a blocking XREAD of `blockMs` must not
  // race that, so the reader's timeout is the block plus a margin (a dead Redis is still noticed).
  const readerConnection: RedisPubSubClient = command.duplicate({ name: READER_NAME, commandOptions: { timeout: blockMs + READER_TIMEOUT_MARGIN_MS } })
  readerConnection.on('error', report)
  // Connected at once; every operation awaits it. The rejection is handled where it is awaited.
  const ready = Promise.all([owned ? command.connect() : undefined, readerConnection.connect()]).then(() => {})
  ready.catch(report)

  const topics = new Map<string, Topic>()
  let closed = false

  const keyOf = (name: string) => `${keyPrefix}${name}`

  /**
   * Fails the subscribers of `topic` whose next events the stream no longer holds. `batchFirst`:
   * the first entry a round returned (the one after the reader's position).
   */
  async function checkCoverage(topic: Topic, batchFirst?: string): Promise<void> {
    const info = await streamInfo(topic.key)
    for (const subscriber of topic.subscribers) {
      const after = subscriber.after
      if (after === undefined || subscriber.queue.ended) continue
      if (batchFirst !== undefined && compareIds(batchFirst, successor(after)) <= 0) continue // the round goes on right after it
      if (!covers(info, after)) fail(subscriber, new ResyncRequiredError(topic.name, after))
    }
  }

  async function streamInfo(key: string): Promise<StreamInfo | undefined> {
    try {
      return infoOf(await command.xInfoStream(key))
    } catch (error) {
      if (/no such key/i.test(String((error as Error)?.message))) return undefined
      throw error
    }
  }

  function fanOut(topic: Topic, entry: Entry) {
    const event = { id: entry.id, value: entry.value }
    for (const subscriber of topic.subscribers) {
      if (subscriber.after === undefined) subscriber.pending.push(event)
      else enqueue(subscriber, event)
    }
  }

  function enqueue(subscriber: Subscriber, event: PubSubEvent) {
    if (subscriber.queue.ended || compareIds(event.id, subscriber.after!) <= 0) return // from before its start, or already queued
    subscriber.after = event.id
    subscriber.queue.push(event)
  }

  function fail(subscriber: Subscriber, error: unknown) {
    subscriber.queue.end(error) // only the first end counts: a later abort or close keeps the error
  }

  // The XREAD loop over every topic read (reader.ts); it calls back for coverage and fan-out.
  const reader = startReader<Topic>({
    reader: readerConnection,
    command,
    ready,
    blockMs,
    retention,
    report,
    topics: () => topics.values(),
    topicOf: (key) => {
      const topic = topics.get(key.slice(keyPrefix.length))
      return topic?.key === key ? topic : undefined
    },
    checkCoverage,
    fanOut,
  })

  /** Resolves where `subscriber` starts, queues its replay, and makes the reader read its topic. */
  async function start(topic: Topic, subscriber: Subscriber, lastEventId: string | undefined): Promise<void> {
    await ready
    let position: string
    let replay: Entry[] = []
    if (lastEventId === undefined) {
      const [last] = entriesOf(await command.xRevRange(topic.key, '+', '-', { COUNT: 1 }), report)
      position = last?.id ?? '0-0'
    } else {
      if (!STREAM_ID.test(lastEventId)) throw new ResyncRequiredError(topic.name, lastEventId) // not one of ours
      // One MULTI: the replay, and the first and last entries it is checked against, from the same moment.
      const [after, first, last] = (await command
        .multi()
        .xRange(topic.key, `(${lastEventId}`, '+')
        .xRange(topic.key, '-', '+', { COUNT: 1 })
        .xRevRange(topic.key, '+', '-', { COUNT: 1 })
        .exec()) as unknown[]
      const firstId = entriesOf(first, report)[0]?.id
      const lastId = entriesOf(last, report)[0]?.id
      // Resumable when the stream still holds the event right after lastEventId (or lastEventId
      // itself, or an earlier one), and lastEventId is not newer than its newest event.
      if (firstId === undefined || lastId === undefined || compareIds(firstId, successor(lastEventId)) > 0 || compareIds(lastEventId, lastId) > 0) {
        throw new ResyncRequiredError(topic.name, lastEventId)
      }
      position = lastId
      replay = entriesOf(after, report)
    }
    if (subscriber.queue.ended) return
    subscriber.after = lastEventId ?? position
    for (const entry of replay) enqueue(subscriber, entry)
    // Fanned out meanwhile: those after its position are new to it (enqueue skips the others).
    for (const event of subscriber.pending.splice(0)) enqueue(subscriber, event)
    if (compareIds(position, subscriber.after) > 0) subscriber.after = position
    if (topic.cursor === undefined && topics.get(topic.name) === topic) {
      topic.cursor = position
      reader.topicsChanged()
    }
  }

  return {
    async publish(name, value) {
      if (closed) throw new Error('This PubSub is closed.')
      const json = JSON.stringify(value)
      if (json === undefined) throw new TypeError(`Cannot publish ${typeof value} on "${name}": pass a JSON value.`)
      await ready
      return String(await command.xAdd(keyOf(name), '*', { v: json }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: retention } }))
    },

    subscribe<T>(name: string, { signal, lastEventId }: PubSubSubscribeOptions = {}): AsyncIterable<PubSubEvent<T>> {
      let topic = topics.get(name)
      if (!topic) topics.set(name, (topic = { name, key: keyOf(name), subscribers: new Set(), cursor: undefined }))
      const subscriber: Subscriber = { after: undefined, pending: [], queue: new EventQueue() }
      const current = topic
      const stop = () => {
        signal?.removeEventListener('abort', stop)
        current.subscribers.delete(subscriber)
        if (current.subscribers.size === 0 && topics.get(name) === current) topics.delete(name) // the reader drops it next round
        subscriber.queue.end() // wakes the iterator; an error it already holds stays
      }
      // Registered at once (before the start query is sent), so nothing published meanwhile is missed.
      current.subscribers.add(subscriber)
      if (closed) fail(subscriber, new Error('This PubSub is closed.'))
      signal?.addEventListener('abort', stop)
      if (signal?.aborted) stop()
      const started = subscriber.queue.ended ? Promise.resolve() : start(current, subscriber, lastEventId).catch((error: unknown) => fail(subscriber, error))
      return subscriber.queue.drain<T>(signal, { started, onEnd: stop })
    },

    async close() {
      if (closed) return
      closed = true
      for (const topic of topics.values()) for (const subscriber of topic.subscribers) fail(subscriber, undefined)
      topics.clear()
      await reader.close()
      await ready.catch(() => {})
      if (owned && command.isOpen) await command.close()
    },
  }
}
