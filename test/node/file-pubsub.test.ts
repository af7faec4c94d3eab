// createFilePubSub: the in-memory PubSub whose retained events survive a restart through a journal
// file. A second PubSub on the same file plays the restarted process (the kill -9 case is in
// test/reliability/restart.test.ts).
import { mkdtempSync, readFileSync, rmSync, appendFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { createFilePubSub } from 'wirerpc/node'
import { ResyncRequiredError, type PubSub, type PubSubEvent } from 'wirerpc/service'

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

function start(file: string, retention?: number) {
  const pubsub = createFilePubSub({ file, retention })
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
  for (let n = 1; n <= 25_000; n++) await pubsub.publish(`topic-${n % 2}`, { n })
  const lines = readFileSync(file, 'utf8').trim().split('\n')
  expect(lines.length).toBeLessThanOrEqual(1 + 20 + 10_000)
  await pubsub.close()
  const after = start(file, 10)
  expect(after.lastEventId('topic-0')).toMatch(/-12500$/)
  expect(after.lastEventId('topic-1')).toMatch(/-12500$/)
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
