// What the in-memory PubSub keeps of topics nobody uses any more, measured as heap after gc() in
// a child process run with --expose-gc (fixtures/pubsub-heap.ts): with one entry kept per topic,
// 20,000 topics of 200-character names would hold several MB; forgotten, they hold nothing.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const N = 20_000

async function heapGrowth(env: Record<string, string>): Promise<number> {
  const script = fileURLToPath(new URL('./fixtures/pubsub-heap.ts', import.meta.url))
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    env: { ...process.env, N: String(N), NAME_LENGTH: '200', ...env },
    timeout: 60_000,
  })
  const { n, bytes } = JSON.parse(stdout.trim().split('\n').pop()!) as { n: number; bytes: number }
  expect(n).toBe(N)
  return bytes
}

it('keeps nothing of 20,000 topics subscribed to and cancelled, nothing published', async () => {
  expect(await heapGrowth({ MODE: 'cancel' })).toBeLessThan(2 * 2 ** 20)
}, 70_000)

it('creates no topic to tell the last event id of 20,000 unknown topics', async () => {
  expect(await heapGrowth({ MODE: 'lookup' })).toBeLessThan(2 * 2 ** 20)
}, 70_000)

it('keeps the retained events of at most `maxTopics` idle topics out of 20,000 published on', async () => {
  // 500 topics kept, each well under 2 KiB; all 20,000 would take more than 10 MB.
  expect(await heapGrowth({ MODE: 'retain', MAX_TOPICS: '500' })).toBeLessThan(2 * 2 ** 20)
}, 70_000)
