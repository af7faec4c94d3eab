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

/** Most events a slow subscriber may have queued before its oldest are dropped (as in memory.ts). */
const MAX_QUEUED = 10_000
/** The reader connection's name (`CLIENT LIST`), to tell it apart from the command connection. */
/** Added to `blockMs` for the reader's command timeout, in ms. */
const READER_TIMEOUT_MARGIN_MS = 5000

const READER_NAME = 'wirerpc-pubsub-reader'
/** Backoff of the reader after a failure, in milliseconds: min(cap, base * 2 ** failures), jittered. */
const BACKOFF_BASE_MS = 50
const BACKOFF_CAP_MS = 2_000

interface Subscriber {
  /** The id of the last event queued (only greater ids are taken); `undefined` while the start position is resolving. */
  after: string | undefined
  /** Events fanned out while the start position was resolving. */
  pending: PubSubEvent[]
  queue: PubSubEvent[]
  /** Ends the iterator: a `ResyncRequiredError`, or the error of the start query. */
  error: unknown
  ended: boolean
  wake: (() => void) | undefined
}

interface Topic {
  readonly name: string
  readonly key: string
  readonly subscribers: Set<Subscriber>
  /** The id the reader reads this topic's stream after; `undefined` until its first subscriber has a start position. */
  cursor: string | undefined
}

type Entry = { id: string; value: unknown }

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
  const reader: RedisPubSubClient = command.duplicate({ name: READER_NAME, commandOptions: { timeout: blockMs + READER_TIMEOUT_MARGIN_MS } })
  reader.on('error', report)
  // Connected at once; every operation awaits it. The rejection is handled where it is awaited.
  const ready = Promise.all([owned ? command.connect() : undefined, reader.connect()]).then(() => {})
  ready.catch(report)

  const topics = new Map<string, Topic>()
  let closed = false
  let loop: Promise<void> | undefined

  // The reader's state, for CLIENT UNBLOCK when a topic is added while it blocks.
  let round = 0 // increases with each XREAD sent
  let blocking: { round: number; readerId: number | undefined } | undefined
  let addedDuringRound = false
  let idle: (() => void) | undefined
  /** Ends the reader's backoff wait (close). */
  let sleeping: (() => void) | undefined

  const keyOf = (name: string) => `${keyPrefix}${name}`

  /** A topic has a new reading position: read it now, not after the current XREAD times out. */
  function topicsChanged() {
    addedDuringRound = true
    idle?.()
    if (!loop) loop = readLoop()
    if (blocking?.readerId !== undefined) unblock(blocking.round, blocking.readerId, 0)
  }

  function unblock(forRound: number, readerId: number, attempt: number) {
    if (closed) return
    command.clientUnblock(readerId).then(
      (unblocked) => {
        // 0: the XREAD was not blocking yet (it may still be on its way): try again shortly.
        if (unblocked === 0 && blocking?.round === forRound && attempt < 20 && !closed) setTimeout(() => unblock(forRound, readerId, attempt + 1), 10)
      },
      (error: unknown) => report(error),
    )
  }

  async function readLoop(): Promise<void> {
    let failures = 0
    let check = false // after a failure: check that the streams still hold what subscribers have not seen
    while (!closed) {
      const reading = [...topics.values()].filter((topic) => topic.cursor !== undefined)
      if (reading.length === 0) {
        await new Promise<void>((resolve) => (idle = resolve))
        idle = undefined
        continue
      }
      try {
        await ready
        if (check) {
          for (const topic of reading) await checkCoverage(topic)
          check = false
          continue // the subscribers may have changed: start the round again
        }
        addedDuringRound = false
        const thisRound = ++round
        blocking = { round: thisRound, readerId: undefined }
        // CLIENT ID and XREAD are pipelined on the reader connection: the id is the connection the XREAD blocks on.
        const id = reader.clientId()
        const read = reader.xRead(
          reading.map((topic) => ({ key: topic.key, id: topic.cursor! })),
          { BLOCK: blockMs },
        )
        read.catch(() => {}) // awaited below; handled if CLIENT ID fails first
        try {
          const readerId = Number(await id)
          if (blocking.round === thisRound) blocking.readerId = readerId
          if (addedDuringRound) unblock(thisRound, readerId, 0)
        } catch (error) {
          await read.catch(() => {}) // never two XREADs at once on the reader
          throw error
        }
        const reply = (await read) as unknown
        blocking = undefined
        failures = 0
        for (const stream of streamsOf(reply, report)) {
          const topic = topics.get(stream.name.slice(keyPrefix.length))
          if (!topic || topic.cursor === undefined || stream.name !== topic.key || stream.entries.length === 0) continue
          if (stream.entries.length >= retention) await checkCoverage(topic, stream.entries[0]!.id)
          for (const entry of stream.entries) fanOut(topic, entry)
          if (compareIds(stream.entries.at(-1)!.id, topic.cursor) > 0) topic.cursor = stream.entries.at(-1)!.id
        }
      } catch (error) {
        blocking = undefined
        if (closed) break
        report(error)
        check = true
        const delay = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** failures++) * (0.5 + Math.random() / 2)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay)
          sleeping = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        sleeping = undefined
      }
    }
  }

  /**
   * Fails the subscribers of `topic` whose next events the stream no longer holds. `batchFirst`:
   * the first entry a round returned (the one after the reader's position).
   */
  async function checkCoverage(topic: Topic, batchFirst?: string): Promise<void> {
    const info = await streamInfo(topic.key)
    for (const subscriber of topic.subscribers) {
      const after = subscriber.after
      if (after === undefined || subscriber.ended) continue
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
    if (subscriber.ended || compareIds(event.id, subscriber.after!) <= 0) return // from before its start, or already queued
    subscriber.after = event.id
    if (subscriber.queue.push(event) > MAX_QUEUED) subscriber.queue.shift()
    subscriber.wake?.()
  }

  function fail(subscriber: Subscriber, error: unknown) {
    if (subscriber.ended) return
    subscriber.error = error
    subscriber.ended = true
    subscriber.wake?.()
  }

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
    if (subscriber.ended) return
    subscriber.after = lastEventId ?? position
    for (const entry of replay) enqueue(subscriber, entry)
    // Fanned out meanwhile: those after its position are new to it (enqueue skips the others).
    for (const event of subscriber.pending.splice(0)) enqueue(subscriber, event)
    if (compareIds(position, subscriber.after) > 0) subscriber.after = position
    if (topic.cursor === undefined && topics.get(topic.name) === topic) {
      topic.cursor = position
      topicsChanged()
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
      const subscriber: Subscriber = { after: undefined, pending: [], queue: [], error: undefined, ended: false, wake: undefined }
      const current = topic
      const stop = () => {
        subscriber.ended = true
        signal?.removeEventListener('abort', stop)
        current.subscribers.delete(subscriber)
        if (current.subscribers.size === 0 && topics.get(name) === current) topics.delete(name) // the reader drops it next round
        subscriber.wake?.()
      }
      // Registered at once (before the start query is sent), so nothing published meanwhile is missed.
      current.subscribers.add(subscriber)
      if (closed) fail(subscriber, new Error('This PubSub is closed.'))
      signal?.addEventListener('abort', stop)
      if (signal?.aborted) stop()
      const started = subscriber.ended ? Promise.resolve() : start(current, subscriber, lastEventId).catch((error: unknown) => fail(subscriber, error))
      return (async function* () {
        try {
          await started
          while (!signal?.aborted) {
            if (subscriber.queue.length === 0) {
              if (subscriber.ended) break
              await new Promise<void>((resolve) => (subscriber.wake = resolve))
              subscriber.wake = undefined
              continue
            }
            yield subscriber.queue.shift() as PubSubEvent<T>
          }
          if (subscriber.error !== undefined && !signal?.aborted) throw subscriber.error
        } finally {
          stop()
        }
      })()
    },

    async close() {
      if (closed) return
      closed = true
      for (const topic of topics.values()) for (const subscriber of topic.subscribers) fail(subscriber, undefined)
      topics.clear()
      idle?.()
      sleeping?.()
      try {
        reader.destroy() // ends a blocked XREAD at once
      } catch {
        // Not connected (yet): nothing to end.
      }
      await loop
      await ready.catch(() => {})
      if (owned && command.isOpen) await command.close()
    },
  }
}

/** A stream id: `<ms>-<seq>`. */
const STREAM_ID = /^\d{1,20}-\d{1,20}$/

function parseId(id: string): [bigint, bigint] {
  const dash = id.indexOf('-')
  return [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))]
}

/** Orders two stream ids: negative, 0 or positive. */
function compareIds(a: string, b: string): number {
  const [ams, aseq] = parseId(a)
  const [bms, bseq] = parseId(b)
  return ams !== bms ? (ams < bms ? -1 : 1) : aseq === bseq ? 0 : aseq < bseq ? -1 : 1
}

/** The smallest id after `id`. */
function successor(id: string): string {
  const [ms, seq] = parseId(id)
  return seq === 0xffff_ffff_ffff_ffffn ? `${ms + 1n}-0` : `${ms}-${seq + 1n}`
}

interface StreamInfo {
  length: number
  entriesAdded: number | undefined
  firstId: string | undefined
  lastGeneratedId: string | undefined
}

/**
 * Whether a stream still holds every entry after `after` (the last one a subscriber got): its
 * first entry is at most the one right after `after`. Conservative: when `after` itself was
 * trimmed but the next one was kept, it says no.
 */
function covers(info: StreamInfo | undefined, after: string): boolean {
  // Gone (a Redis that lost its data): a subscriber that saw nothing yet lost nothing we can tell.
  if (info === undefined) return after === '0-0'
  // Subscribed to an empty stream: covered unless entries were ever removed (Redis 7 counts them).
  if (after === '0-0') return info.entriesAdded === undefined || info.entriesAdded === info.length
  if (info.firstId === undefined) return info.lastGeneratedId !== undefined && compareIds(info.lastGeneratedId, after) <= 0
  // A stream recreated since (its first entry after ours, none removed) fails this too.
  return compareIds(info.firstId, successor(after)) <= 0
}

/** A field of a reply that is an object, a `Map` or a flat `[key, value, …]` array (RESP 2, RESP 3, type mappings). */
function field(reply: unknown, name: string): unknown {
  if (reply instanceof Map) return reply.get(name)
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) if (String(reply[i]) === name) return reply[i + 1]
    return undefined
  }
  return typeof reply === 'object' && reply !== null ? (reply as Record<string, unknown>)[name] : undefined
}

function infoOf(reply: unknown): StreamInfo {
  const entriesAdded = field(reply, 'entries-added')
  const first = field(reply, 'first-entry')
  const lastGenerated = field(reply, 'last-generated-id')
  return {
    length: Number(field(reply, 'length')),
    entriesAdded: entriesAdded === undefined || entriesAdded === null ? undefined : Number(entriesAdded),
    firstId: first === undefined || first === null ? undefined : String(field(first, 'id') ?? (first as unknown[])[0]),
    lastGeneratedId: lastGenerated === undefined || lastGenerated === null ? undefined : String(lastGenerated),
  }
}

/** The entries of an `XRANGE`/`XREVRANGE` reply; one whose `v` is not JSON is reported and skipped. */
function entriesOf(reply: unknown, report: (error: unknown) => void): Entry[] {
  if (!Array.isArray(reply)) return []
  const entries: Entry[] = []
  for (const item of reply) {
    const id = String(field(item, 'id') ?? (item as unknown[])[0])
    const raw = field(field(item, 'message'), 'v')
    try {
      entries.push({ id, value: JSON.parse(String(raw)) })
    } catch (error) {
      report(new Error(`Skipped stream entry ${id}: its field "v" is not JSON (${String(error)}).`))
    }
  }
  return entries
}

/** The streams of an `XREAD` reply: `[{ name, messages }]` (node-redis, either RESP), or null. */
function streamsOf(reply: unknown, report: (error: unknown) => void): { name: string; entries: Entry[] }[] {
  if (reply === null || reply === undefined) return []
  const streams: { name: string; entries: Entry[] }[] = []
  const add = (name: unknown, messages: unknown) => streams.push({ name: String(name), entries: entriesOf(messages, report) })
  if (reply instanceof Map) for (const [name, messages] of reply) add(name, messages)
  else if (Array.isArray(reply)) for (const stream of reply) add(field(stream, 'name'), field(stream, 'messages'))
  else if (typeof reply === 'object') for (const [name, messages] of Object.entries(reply)) add(name, messages)
  return streams
}
