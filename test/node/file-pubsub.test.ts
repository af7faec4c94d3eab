// createFilePubSub: the in-memory PubSub whose retained events survive a restart through a journal
// file. A second PubSub on the same file plays the restarted process (the kill -9 case is in
// test/reliability/restart.test.ts).
import { mkdtempSync, readFileSync, rmSync, appendFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterEach, expect, it } from 'vitest'
import { createFilePubSub, type FilePubSubOptions } from 'wirerpc/node'
import { ResyncRequiredError, type PubSub, type PubSubEvent } from 'wirerpc/service'
import { check, ops } from '../support/pubsub-model.js'

const dirs: string[] = []
const open: PubSub[] = []
afterEach(async () => {
  for (const pubsub of open.splice(0)) await pubsub.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function journalPath(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wirerpc-journal-'))
  dirs.push(dir)
  return path.join(dir, 'events.jsonl')
}

function start(file: string, retention?: number, options: Omit<FilePubSubOptions, 'file' | 'retention'> = {}) {
  const pubsub = createFilePubSub({ file, retention, ...options })
  open.push(pubsub)
  return pubsub
}

/** The first `count` events of a subscription. */
async function take<T>(iterable: AsyncIterable<PubSubEvent<T>>, count: number): Promise<PubSubEvent<T>[]> {
  const events: PubSubEvent<T>[] = []
  if (count === 0) return events
  for await (const event of iterable) if (events.push(event) >= count) break
  return events
}

it('replays after a restart what a subscriber missed, with ids that go on growing', async () => {
  const file = journalPath()
  const before = start(file)
  const ids: string[] = []
  for (let n = 1; n <= 5; n++) ids.push(await before.publish('t', { n }))
  await before.close() // the process ends (kill -9 is the same to the file: each publish was written)
  const after = start(file)
  expect(after.lastEventId('t')).toBe(ids[4])
  const replay = take<{ n: number }>(after.subscribe('t', { lastEventId: ids[1] }), 4)
  const next = await after.publish('t', { n: 6 })
  expect((await replay).map((event) => event.value.n)).toEqual([3, 4, 5, 6])
  expect((await replay).map((event) => event.id)).toEqual([...ids.slice(2), next])
  // Same epoch, next sequence number.
  expect(next.split('-')[0]).toBe(ids[0]!.split('-')[0])
  expect(Number(next.split('-')[1])).toBe(Number(ids[4]!.split('-')[1]) + 1)
})

it('keeps only the retention after a restart: older ids get a ResyncRequiredError', async () => {
  const file = journalPath()
  const before = start(file, 3)
  const ids: string[] = []
  for (let n = 1; n <= 10; n++) ids.push(await before.publish('t', { n }))
  await before.close()
  const after = start(file, 3)
  expect((await take<{ n: number }>(after.subscribe('t', { lastEventId: ids[6] }), 3)).map((event) => event.value.n)).toEqual([8, 9, 10])
  const stale = after.subscribe('t', { lastEventId: ids[2] })[Symbol.asyncIterator]()
  await expect(stale.next()).rejects.toBeInstanceOf(ResyncRequiredError)
})

it('skips a last line cut short by a crash, and keeps going from the events before it', async () => {
  const file = journalPath()
  const before = start(file)
  const ids = [await before.publish('t', 'a'), await before.publish('t', 'b')]
  await before.close()
  appendFileSync(file, '["t",3,"c') // a write the crash cut
  const after = start(file)
  expect(after.lastEventId('t')).toBe(ids[1])
  const replay = take<string>(after.subscribe('t', { lastEventId: ids[0] }), 2)
  await after.publish('t', 'd')
  expect((await replay).map((event) => event.value)).toEqual(['b', 'd'])
})

it('keeps the file bounded: compacts it to the retained events', async () => {
  const file = journalPath()
  const pubsub = start(file, 10)
  const newest: string[] = []
  for (let n = 1; n <= 25_000; n++) newest[n % 2] = await pubsub.publish(`topic-${n % 2}`, { n })
  const lines = readFileSync(file, 'utf8').trim().split('\n')
  expect(lines.length).toBeLessThanOrEqual(1 + 20 + 10_000)
  await pubsub.close()
  const after = start(file, 10)
  // One sequence for both topics: 25,000 events, the last on topic-0.
  expect(newest[0]).toMatch(/-25000$/)
  expect(after.lastEventId('topic-0')).toBe(newest[0])
  expect(after.lastEventId('topic-1')).toBe(newest[1])
})

it('refuses a file that is not its journal, and a retention of 0, with errors that say what to do', () => {
  const file = journalPath()
  writeFileSync(file, 'hello\n')
  expect(() => createFilePubSub({ file })).toThrow(/is not a wirerpc PubSub journal .* point `file` at a new path or delete it/)
  expect(() => createFilePubSub({ file: journalPath(), retention: 0 })).toThrow(/`retention` must be at least 1/)
  expect(() => createFilePubSub({ file: '' })).toThrow(/pass the path of the journal file/)
})

it('does not publish a value it cannot write: the publish rejects and subscribers see nothing', async () => {
  const pubsub = start(journalPath())
  const seen = take<unknown>(pubsub.subscribe('t'), 1)
  await expect(pubsub.publish('t', { big: 1n })).rejects.toThrow(/BigInt/)
  await pubsub.publish('t', 'ok')
  expect((await seen).map((event) => event.value)).toEqual(['ok'])
  expect(pubsub.lastEventId('t')).toMatch(/-1$/)
})

it('goes on above every id it gave out after a restart, even when it kept no topic', async () => {
  const file = journalPath()
  const first = start(file, 10, { maxTopics: 0 }) // nobody listens: no topic keeps its events
  const ids = [await first.publish('a', 1), await first.publish('b', 2)]
  await first.close()
  const second = start(file, 10, { maxTopics: 0 })
  ids.push(await second.publish('a', 3))
  await second.close()
  // The header carries the sequence when the file holds no event from before.
  expect(JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!)).toMatchObject({ wirerpc: 'pubsub-journal', seq: 2 })
  const third = start(file, 10, { maxTopics: 0 })
  ids.push(await third.publish('a', 4))
  expect(ids.map((id) => Number(id.split('-')[1]))).toEqual([1, 2, 3, 4])
  const stale = third.subscribe('a', { lastEventId: ids[0] })[Symbol.asyncIterator]()
  await expect(stale.next()).rejects.toBeInstanceOf(ResyncRequiredError)
})

it('restores the events of only the `maxTopics` most recently published topics', async () => {
  const file = journalPath()
  const before = start(file)
  const a = await before.publish('a', 'a1')
  const b = await before.publish('b', 'b1')
  await before.publish('a', 'a2')
  await before.close()
  const after = start(file, undefined, { maxTopics: 1 })
  expect(after.lastEventId('b')).toBeUndefined()
  const stale = after.subscribe('b', { lastEventId: b })[Symbol.asyncIterator]()
  await expect(stale.next()).rejects.toBeInstanceOf(ResyncRequiredError)
  expect((await take(after.subscribe('a', { lastEventId: a }), 1)).map((event) => event.value)).toEqual(['a2'])
})

it('reads a journal written with a sequence per topic, and gives ids above all of its ids', async () => {
  const file = journalPath()
  // The format before one sequence for all topics: no `seq` in the header, ids repeated across topics.
  writeFileSync(file, ['{"wirerpc":"pubsub-journal","epoch":1700000000000}', '["a",1,"a1"]', '["a",2,"a2"]', '["b",1,"b1"]', ''].join('\n'))
  const pubsub = start(file)
  expect([pubsub.lastEventId('a'), pubsub.lastEventId('b')]).toEqual(['1700000000000-2', '1700000000000-1'])
  const replay = take<string>(pubsub.subscribe('a', { lastEventId: '1700000000000-1' }), 2)
  expect(await pubsub.publish('a', 'a3')).toBe('1700000000000-3')
  expect((await replay).map((event) => event.value)).toEqual(['a2', 'a3'])
})

it('resyncs a resume from before the first event a restored topic holds, even once the file was rewritten', async () => {
  const file = journalPath()
  const first = start(file, 1)
  const other = await first.publish('b', 'b1')
  await first.publish('a', 'a1')
  await first.publish('a', 'a2') // retention 1: `a1` is gone, in memory and at the next rewrite
  await first.close()
  await start(file, 1).close() // the rewrite at start: the file holds `b1`, `a2`
  const last = start(file, 1)
  // `other` is older than `a1`: the events of `a` after it are not all there.
  const stale = last.subscribe('a', { lastEventId: other })[Symbol.asyncIterator]()
  await expect(stale.next()).rejects.toBeInstanceOf(ResyncRequiredError)
})

it('replays exactly the missed events of a topic or throws ResyncRequiredError, across restarts (model check)', async () => {
  let replayed = 0
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.nat(3), ops(true), async (retention, maxTopics, steps) => {
      const file = journalPath()
      replayed += (await check(() => createFilePubSub({ file, retention, maxTopics }), steps)).replayed
    }),
    { numRuns: 150 },
  )
  expect(replayed).toBeGreaterThan(50)
})
