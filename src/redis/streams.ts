/**
 * Redis Streams ids and replies, for `createRedisPubSub` (pubsub.ts) and its reader (reader.ts):
 * ids compared as numbers, and `XRANGE`/`XREAD`/`XINFO STREAM` replies read whatever their shape
 * (RESP 2, RESP 3, type mappings).
 *
 * @module
 */

/** An entry of a topic's stream: its id and its `v` field parsed. */
export type Entry = { id: string; value: unknown }

/** A stream id: `<ms>-<seq>`. */
export const STREAM_ID = /^\d{1,20}-\d{1,20}$/

function parseId(id: string): [bigint, bigint] {
  const dash = id.indexOf('-')
  return [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))]
}

/** Orders two stream ids: negative, 0 or positive. */
export function compareIds(a: string, b: string): number {
  const [ams, aseq] = parseId(a)
  const [bms, bseq] = parseId(b)
  return ams !== bms ? (ams < bms ? -1 : 1) : aseq === bseq ? 0 : aseq < bseq ? -1 : 1
}

/** The smallest id after `id`. */
export function successor(id: string): string {
  const [ms, seq] = parseId(id)
  return seq === 0xffff_ffff_ffff_ffffn ? `${ms + 1n}-0` : `${ms}-${seq + 1n}`
}

export interface StreamInfo {
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
export function covers(info: StreamInfo | undefined, after: string): boolean {
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

export function infoOf(reply: unknown): StreamInfo {
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
export function entriesOf(reply: unknown, report: (error: unknown) => void): Entry[] {
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
export function streamsOf(reply: unknown, report: (error: unknown) => void): { name: string; entries: Entry[] }[] {
  if (reply === null || reply === undefined) return []
  const streams: { name: string; entries: Entry[] }[] = []
  const add = (name: unknown, messages: unknown) => streams.push({ name: String(name), entries: entriesOf(messages, report) })
  if (reply instanceof Map) for (const [name, messages] of reply) add(name, messages)
  else if (Array.isArray(reply)) for (const stream of reply) add(field(stream, 'name'), field(stream, 'messages'))
  else if (typeof reply === 'object') for (const [name, messages] of Object.entries(reply)) add(name, messages)
  return streams
}
