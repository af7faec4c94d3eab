// 10,000 subscribe/cancel cycles leave nothing behind: no listener, no timer, no heap growth
// beyond a few MB after gc() (in a child process run with --expose-gc).
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

interface Snapshot {
  heapUsed: number
  timers: number
  resources: number
  signalListeners: number
  pending: number
  serverGenerators: number
}

it('leaves no listener, timer or heap growth after 10,000 subscribe/cancel cycles', async () => {
  const script = fileURLToPath(new URL('./fixtures/leak-check.ts', import.meta.url))
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    env: { ...process.env, CYCLES: '10000' },
    timeout: 120_000,
  })
  const { cycles, before, after } = JSON.parse(stdout.trim().split('\n').pop()!) as { cycles: number; before: Snapshot; after: Snapshot }
  expect(cycles).toBe(10_000)
  expect(after.signalListeners).toBe(0)
  expect(after.pending).toBe(0)
  expect(after.serverGenerators).toBe(0)
  expect(after.timers).toBeLessThanOrEqual(before.timers)
  expect(after.resources).toBeLessThanOrEqual(before.resources)
  expect(after.heapUsed - before.heapUsed).toBeLessThan(4 * 2 ** 20)
}, 130_000)
