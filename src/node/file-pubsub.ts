/**
 * `createFilePubSub`: the in-memory PubSub of one instance, with its retained events also appended
 * to a file, so that a restarted process (even after `kill -9`) still holds them and resumes its
 * clients with no gap (docs/scaling.md, "One instance that restarts").
 *
 * The file is a journal of JSON lines: a header `{"wirerpc":"pubsub-journal","epoch":…,"seq":…}`
 * (the first part of every event id, kept across restarts, and the newest sequence number given
 * out when it was written), then one `[topic, seq, value]` per event. Each publish is written (one
 * `write` system call) before any subscriber sees the event. At start, and whenever the file holds
 * far more lines than the retention, it is rewritten with only the retained events (to a temporary
 * file, then renamed over it).
 *
 * At start the sequence goes on above every id the file holds (and its header's `seq`, which
 * outlives the events of forgotten topics), so no id is given twice. A restored topic's floor is
 * the sequence number just below its first event in the file: the file holds every later event of
 * the topic (a topic's lines are only ever dropped oldest first, or all together when it is
 * forgotten), and anything older may be lost, so a resume from further back is a resync.
 *
 * @module
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import { checkMaxTopics, checkRetention, journaledPubSub, seqOf, type MemoryJournal, type MemoryPubSub, type TopicEvents } from '../service/pubsub/memory.js'
import type { PubSubEvent } from '../service/pubsub/pubsub.js'

export interface FilePubSubOptions {
  /** Path of the journal file; created if missing. One process at a time may use it. */
  file: string
  /** Events kept per topic (in memory and in the file) for subscribers that resume. @default 1000 */
  retention?: number
  /**
   * Most topics that keep their retained events while nobody subscribes to them (in memory; the
   * file drops the others at its next rewrite). Past it, the least recently active one is forgotten
   * with its events, and a subscriber resuming it gets a `ResyncRequiredError`. Topics with a
   * subscriber never are. @default 10_000 // topics
   */
  maxTopics?: number
}

/** What a rewrite of the file keeps: each topic's retained events. */
type Retained = ReadonlyMap<string, { readonly events: readonly PubSubEvent[] }>

const HEADER = 'pubsub-journal'

/** Lines appended beyond the retained events before the file is compacted. */
const SLACK_LINES = 10_000

export function createFilePubSub(options: FilePubSubOptions): MemoryPubSub {
  if (typeof options?.file !== 'string' || options.file === '') throw new TypeError('createFilePubSub({ file }): pass the path of the journal file.')
  const retention = checkRetention(options.retention)
  // A journal that keeps no event would only be written, never read back: surely a mistake.
  if (retention < 1) throw new TypeError(`createFilePubSub: \`retention\` must be at least 1 event, got ${retention}.`)
  const maxTopics = checkMaxTopics(options.maxTopics)
  const { file } = options
  const read = existsSync(file) ? readJournal(file, retention) : { epoch: Date.now(), seq: 0, restored: new Map<string, TopicEvents>() }
  const { epoch, seq } = read
  // Nobody listens yet: only the `maxTopics` most recently published topics keep their events.
  const restored = new Map([...read.restored].slice(Math.max(0, read.restored.size - maxTopics)))
  writeCompacted(file, epoch, seq, restored)
  let fd: number | undefined = openSync(file, 'a')
  // Lines in the file, and the count at which it is compacted again: set at each compaction, so
  // that a publish counts one line and compares, rather than counting every topic's events.
  let lines = retainedCount(restored)
  let compactAt = lines + Math.max(SLACK_LINES, retention)

  const journal: MemoryJournal = {
    epoch,
    seq,
    restored,
    append(topic, event, retained) {
      if (fd === undefined) throw new Error('createFilePubSub: the PubSub is closed.')
      const eventSeq = seqOf(event.id)
      writeSync(fd, `${JSON.stringify([topic, eventSeq, event.value])}\n`)
      if (++lines > compactAt) {
        closeSync(fd)
        // The event being published is not retained yet: keep it in the compacted file.
        const withEvent: Map<string, { readonly events: readonly PubSubEvent[] }> = new Map(retained())
        withEvent.set(topic, { events: [...(withEvent.get(topic)?.events ?? []), event].slice(-retention) })
        writeCompacted(file, epoch, eventSeq, withEvent)
        fd = openSync(file, 'a')
        lines = retainedCount(withEvent)
        compactAt = lines + Math.max(SLACK_LINES, retention)
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
  return journaledPubSub(retention, maxTopics, journal)
}

function readJournal(file: string, retention: number): { epoch: number; seq: number; restored: Map<string, TopicEvents> } {
  const [first, ...lines] = readFileSync(file, 'utf8').split('\n')
  const header = parseLine(first ?? '') as { wirerpc?: unknown; epoch?: unknown; seq?: unknown } | undefined
  if (header?.wirerpc !== HEADER || typeof header.epoch !== 'number') {
    throw new Error(`createFilePubSub: ${file} is not a wirerpc PubSub journal (its first line is not the header); point \`file\` at a new path or delete it.`)
  }
  // Files written before the header had `seq` (when each topic had its own sequence) rely on their lines.
  let newest = Number.isInteger(header.seq) ? (header.seq as number) : 0
  const restored = new Map<string, TopicEvents>()
  for (const line of lines) {
    // A line cut short by a crash in the middle of a write (or anything else unreadable) is skipped.
    const entry = parseLine(line)
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Number.isInteger(entry[1])) continue
    const [topic, seq, value] = entry as [string, number, unknown]
    newest = Math.max(newest, seq)
    let kept = restored.get(topic)
    // The file holds every event of a topic after its first one there; older ones may be lost.
    if (!kept) restored.set(topic, (kept = { events: [], floor: seq - 1 }))
    else if (seq <= seqOf(kept.events.at(-1)!.id)) continue // written twice (cannot happen, but never go back)
    kept.events.push({ id: `${header.epoch}-${seq}`, value })
    if (kept.events.length > retention) kept.floor = seqOf(kept.events.shift()!.id)
  }
  // Least recently published first: the order in which topics nobody listens to are forgotten.
  const newestOf = (topic: TopicEvents) => seqOf(topic.events.at(-1)!.id)
  const ordered = [...restored].sort(([, a], [, b]) => newestOf(a) - newestOf(b))
  return { epoch: header.epoch, seq: newest, restored: new Map(ordered) }
}

function writeCompacted(file: string, epoch: number, seq: number, topics: Retained): void {
  const lines = [JSON.stringify({ wirerpc: HEADER, epoch, seq })]
  for (const [topic, { events }] of topics) {
    for (const event of events) lines.push(JSON.stringify([topic, seqOf(event.id), event.value]))
  }
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, `${lines.join('\n')}\n`)
  const fd = openSync(temporary, 'r+')
  fsyncSync(fd)
  closeSync(fd)
  renameSync(temporary, file)
}

function retainedCount(topics: Retained): number {
  let count = 0
  for (const topic of topics.values()) count += topic.events.length
  return count
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    return undefined
  }
}
