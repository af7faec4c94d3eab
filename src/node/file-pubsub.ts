/**
 * `createFilePubSub`: the in-memory PubSub of one instance, with its retained events also appended
 * to a file, so that a restarted process (even after `kill -9`) still holds them and resumes its
 * clients with no gap (docs/scaling.md, "One instance that restarts").
 *
 * The file is a journal of JSON lines: a header `{"wirerpc":"pubsub-journal","epoch":…}` (the
 * first part of every event id, kept across restarts), then one `[topic, seq, value]` per event.
 * Each publish is written (one `write` system call) before any subscriber sees the event. At start,
 * and whenever the file holds far more lines than the retention, it is rewritten with only the
 * retained events (to a temporary file, then renamed over it).
 *
 * @module
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import { checkRetention, journaledPubSub, type MemoryJournal, type MemoryPubSub, type TopicEvents } from '../service/pubsub/memory.js'
import type { PubSubEvent } from '../service/pubsub/pubsub.js'

export interface FilePubSubOptions {
  /** Path of the journal file; created if missing. One process at a time may use it. */
  file: string
  /** Events kept per topic (in memory and in the file) for subscribers that resume. @default 1000 */
  retention?: number
}

const HEADER = 'pubsub-journal'

/** Lines appended beyond the retained events before the file is compacted. */
const SLACK_LINES = 10_000

export function createFilePubSub(options: FilePubSubOptions): MemoryPubSub {
  if (typeof options?.file !== 'string' || options.file === '') throw new TypeError('createFilePubSub({ file }): pass the path of the journal file.')
  const retention = checkRetention(options.retention)
  // At least the newest event of each topic stays in the file: it carries the topic's sequence on.
  if (retention < 1) throw new TypeError(`createFilePubSub: \`retention\` must be at least 1 event, got ${retention}.`)
  const { file } = options
  const { epoch, restored } = existsSync(file) ? readJournal(file, retention) : { epoch: Date.now(), restored: new Map<string, TopicEvents>() }
  writeCompacted(file, epoch, restored)
  let fd: number | undefined = openSync(file, 'a')
  // Lines in the file, and the count at which it is compacted again: set at each compaction, so
  // that a publish counts one line and compares, rather than counting every topic's events.
  let lines = retainedCount(restored)
  let compactAt = lines + Math.max(SLACK_LINES, retention)

  const journal: MemoryJournal = {
    epoch,
    restored,
    append(topic, event, topics) {
      if (fd === undefined) throw new Error('createFilePubSub: the PubSub is closed.')
      writeSync(fd, `${JSON.stringify([topic, seqOf(event.id), event.value])}\n`)
      if (++lines > compactAt) {
        closeSync(fd)
        // The event being published is not in `topics` yet: keep it in the compacted file.
        const withEvent = new Map(topics)
        const current = topics.get(topic)
        withEvent.set(topic, { events: [...(current?.events ?? []), event].slice(-retention), last: seqOf(event.id) })
        writeCompacted(file, epoch, withEvent)
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
  return journaledPubSub(retention, journal)
}

function readJournal(file: string, retention: number): { epoch: number; restored: Map<string, TopicEvents> } {
  const [first, ...lines] = readFileSync(file, 'utf8').split('\n')
  const header = parseLine(first ?? '') as { wirerpc?: unknown; epoch?: unknown } | undefined
  if (header?.wirerpc !== HEADER || typeof header.epoch !== 'number') {
    throw new Error(`createFilePubSub: ${file} is not a wirerpc PubSub journal (its first line is not the header); point \`file\` at a new path or delete it.`)
  }
  const restored = new Map<string, TopicEvents>()
  for (const line of lines) {
    // A line cut short by a crash in the middle of a write (or anything else unreadable) is skipped.
    const entry = parseLine(line)
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Number.isInteger(entry[1])) continue
    const [topic, seq, value] = entry as [string, number, unknown]
    let events = restored.get(topic)
    if (!events) restored.set(topic, (events = { events: [], last: 0 }))
    if (seq <= events.last) continue // written twice (cannot happen, but never go back)
    events.last = seq
    events.events.push({ id: `${header.epoch}-${seq}`, value })
    if (events.events.length > retention) events.events.shift()
  }
  return { epoch: header.epoch, restored }
}

function writeCompacted(file: string, epoch: number, topics: ReadonlyMap<string, TopicEvents>): void {
  const lines = [JSON.stringify({ wirerpc: HEADER, epoch })]
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

function retainedCount(topics: ReadonlyMap<string, TopicEvents>): number {
  let count = 0
  for (const topic of topics.values()) count += topic.events.length
  return count
}

function seqOf(id: PubSubEvent['id']): number {
  return Number(id.slice(id.lastIndexOf('-') + 1))
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    return undefined
  }
}
