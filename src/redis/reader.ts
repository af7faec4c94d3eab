/**
 * The blocking reader of `createRedisPubSub` (pubsub.ts): one per PubSub, on its own connection,
 * it loops on `XREAD BLOCK` over every topic that has a reading position and hands the entries to
 * the PubSub. A topic added while it blocks gets it unblocked (`CLIENT UNBLOCK`); after a failure
 * it retries with backoff from the same ids, once the PubSub has checked the streams' coverage.
 *
 * @module
 */
import type { RedisPubSubClient } from './pubsub.js'
import { compareIds, streamsOf, type Entry } from './streams.js'

/** Backoff of the reader after a failure, in milliseconds: min(cap, base * 2 ** failures), jittered. */
const BACKOFF_BASE_MS = 50
const BACKOFF_CAP_MS = 2_000

/** What the reader needs of a topic. */
export interface ReaderTopic {
  readonly key: string
  /** The id the reader reads this topic's stream after; `undefined` (not read) until its first subscriber has a start position. */
  cursor: string | undefined
}

export interface ReaderOptions<T extends ReaderTopic> {
  /** The reader's own connection (an `XREAD BLOCK` holds it). */
  reader: RedisPubSubClient
  /** The command connection, which sends `CLIENT UNBLOCK`. */
  command: RedisPubSubClient
  /** Resolves once both connections are connected. */
  ready: Promise<void>
  blockMs: number
  retention: number
  report: (error: unknown) => void
  /** The topics now; those with a cursor are read. */
  topics: () => Iterable<T>
  /** The topic whose stream is `key` now, if any (it may have lost its subscribers during the read). */
  topicOf: (key: string) => T | undefined
  /** Fails the subscribers of `topic` whose next events the stream no longer holds (`batchFirst`: the first entry of a round). */
  checkCoverage: (topic: T, batchFirst?: string) => Promise<void>
  /** Hands one entry read to the subscribers of `topic`. */
  fanOut: (topic: T, entry: Entry) => void
}

export interface Reader {
  /** A topic has a new reading position: read it now, not after the current `XREAD` times out. */
  topicsChanged(): void
  /** Stops the loop and resolves once it has stopped (the subscriptions are the PubSub's to end). */
  close(): Promise<void>
}

export function startReader<T extends ReaderTopic>(options: ReaderOptions<T>): Reader {
  const { reader, command, ready, blockMs, retention, report } = options
  let closed = false
  let loop: Promise<void> | undefined

  // The reader's state, for CLIENT UNBLOCK when a topic is added while it blocks.
  let round = 0 // increases with each XREAD sent
  let blocking: { round: number; readerId: number | undefined } | undefined
  let addedDuringRound = false
  let idle: (() => void) | undefined
  /** Ends the reader's backoff wait (close). */
  let sleeping: (() => void) | undefined

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
      const reading = [...options.topics()].filter((topic) => topic.cursor !== undefined)
      if (reading.length === 0) {
        await new Promise<void>((resolve) => (idle = resolve))
        idle = undefined
        continue
      }
      try {
        await ready
        if (check) {
          for (const topic of reading) await options.checkCoverage(topic)
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
          const topic = options.topicOf(stream.name)
          if (!topic || topic.cursor === undefined || stream.entries.length === 0) continue
          if (stream.entries.length >= retention) await options.checkCoverage(topic, stream.entries[0]!.id)
          for (const entry of stream.entries) options.fanOut(topic, entry)
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

  return {
    topicsChanged,
    async close() {
      closed = true
      idle?.()
      sleeping?.()
      try {
        reader.destroy() // ends a blocked XREAD at once
      } catch {
        // Not connected (yet): nothing to end.
      }
      await loop
    },
  }
}
