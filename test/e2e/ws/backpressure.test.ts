// Backpressure (docs/protocol.md, "Limits", highWaterMark): a subscriber that stops reading makes
// the server stop pulling from the generator once its socket buffer is full, instead of queueing
// items in memory; when the client reads again, items flow again.
import { once } from 'node:events'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startServer } from '../helpers.js'
import { connect, type RawClient } from './helpers.js'
import manifest from './manifest.js'
import { pulls } from './routes.js'

const ITEM = 64 * 1024
const HIGH_WATER_MARK = 256 * 1024
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The largest buffer (bytes) the kernel may give one side of a TCP socket, from /proc where it exists. */
function kernelBufferMax(file: string, fallback: number): number {
  try {
    return Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]) || fallback
  } catch {
    return fallback
  }
}

/**
 * How many items may be pulled while the client reads nothing: the server's highWaterMark, plus
 * what the kernel holds (the server's send buffer and the client's receive buffer, each at most
 * its tcp_wmem / tcp_rmem maximum), plus what Node buffers on each side, plus slack for the item
 * in flight. Generous but finite: without backpressure the generator is pulled without end.
 */
function itemBound(): number {
  const kernel = kernelBufferMax('/proc/sys/net/ipv4/tcp_wmem', 4 * 1024 * 1024) + kernelBufferMax('/proc/sys/net/ipv4/tcp_rmem', 6 * 1024 * 1024)
  // The receive buffer is autotuned up only for a reader that keeps up; a paused one stays far
  // below the maximum. Cap the bound at 200 items (12.5 MiB), the figure this test is about.
  return Math.min(200, Math.ceil((HIGH_WATER_MARK + kernel + 4 * ITEM) / ITEM) + 4)
}

/** A client for one subscription that counts its items without keeping them (their size would skew the heap). */
async function subscriber(url: string, method: string, id: string, params?: unknown[]) {
  const socket = new WebSocket(url)
  await once(socket, 'open')
  const state = { items: 0, bytes: 0, terminal: undefined as unknown }
  socket.on('message', (data: Buffer) => {
    const text = data.toString()
    // Items are large: read the head only to tell them from the terminal response.
    if (text.startsWith('{"jsonrpc":"2.0","method":"$/next"')) {
      state.items++
      state.bytes += data.length
    } else {
      const message = JSON.parse(text) as { id?: unknown }
      if (message.id === id) state.terminal = message
    }
  })
  socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }))
  return { socket, state }
}

const heap = () => {
  const usage = process.memoryUsage()
  return { heapUsed: usage.heapUsed, arrayBuffers: usage.arrayBuffers }
}
const MiB = 1024 * 1024

describe('backpressure on a slow consumer', async () => {
  const server = await startServer(manifest, { highWaterMark: HIGH_WATER_MARK })
  const url = `ws://127.0.0.1:${server.port}/ws`

  it('stops pulling from the generator while the client does not read, and resumes when it does', async () => {
    const bound = itemBound()
    pulls.count = 0
    const memoryBefore = heap()
    const { socket, state } = await subscriber(url, 'counted', 'flood')
    // Stop reading: the TCP socket is paused, so the kernel buffers fill and the server's socket backs up.
    socket.pause()
    await sleep(1000)
    const first = pulls.count
    await sleep(300)
    const second = pulls.count
    const memoryAfter = heap()
    const growth = {
      heapUsed: (memoryAfter.heapUsed - memoryBefore.heapUsed) / MiB,
      arrayBuffers: (memoryAfter.arrayBuffers - memoryBefore.arrayBuffers) / MiB,
    }
    console.info(
      `[backpressure] pulled ${first} items (${((first * ITEM) / MiB).toFixed(1)} MiB) after 1 s paused, ${second} 300 ms later (bound ${bound}); ` +
        `received ${state.items} before pausing; heap ${growth.heapUsed.toFixed(1)} MiB, arrayBuffers ${growth.arrayBuffers.toFixed(1)} MiB`,
    )
    expect(first).toBeGreaterThan(0)
    expect(first).toBeLessThan(bound)
    expect(second).toBe(first)
    expect(growth.heapUsed).toBeLessThan(32)
    expect(growth.arrayBuffers).toBeLessThan(32)

    // The server is not stuck: another connection is served while this one is backed up.
    const other = await connect(url)
    expect((await other.call('getUserData', ['meanwhile'])).result.id).toBe('meanwhile')

    // Read again: the backlog arrives, then new items are pulled and flow.
    socket.resume()
    const received = state.items
    const end = Date.now() + 5000
    while ((state.items < second + 50 || pulls.count < second + 50) && Date.now() < end) await sleep(20)
    expect(state.items).toBeGreaterThanOrEqual(second + 50)
    expect(pulls.count).toBeGreaterThanOrEqual(second + 50)
    expect(state.items).toBeGreaterThan(received)
    expect(state.bytes).toBeGreaterThan(50 * ITEM)

    socket.send(JSON.stringify({ jsonrpc: '2.0', method: '$/cancel', params: { id: 'flood' } }))
    const cancelEnd = Date.now() + 3000
    while (state.terminal === undefined && Date.now() < cancelEnd) await sleep(10)
    expect(state.terminal).toMatchObject({ id: 'flood', error: { code: -32800 } })
    const stopped = pulls.count
    await sleep(100)
    expect(pulls.count).toBe(stopped)
    socket.close()
    await Promise.all([once(socket, 'close'), other.close()])
  })

  it('stops pulling for a paused client that goes away', async () => {
    pulls.count = 0
    const { socket } = await subscriber(url, 'counted', 'gone')
    socket.pause()
    await sleep(500)
    const paused = pulls.count
    expect(paused).toBeLessThan(itemBound())
    socket.terminate()
    await once(socket, 'close')
    await sleep(200)
    const after = pulls.count
    await sleep(300)
    expect(pulls.count).toBe(after)
    // At most the item being pulled when the socket went away.
    expect(after - paused).toBeLessThanOrEqual(1)
  })

  it('bounds every subscription of a paused connection together', async () => {
    pulls.count = 0
    const { socket } = await subscriber(url, 'counted', 'a')
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 'b', method: 'counted' }))
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 'c', method: 'counted' }))
    socket.pause()
    await sleep(1000)
    const first = pulls.count
    await sleep(300)
    expect(pulls.count).toBe(first)
    // The three share one connection buffer: the bound does not triple.
    expect(first).toBeLessThan(itemBound() + 3)
    socket.terminate()
    await once(socket, 'close')
  })
})

/**
 * serve() with this directory's routes in a child process, so that a server whose event loop is
 * stuck cannot stop this test's own timers. Killed by `kill()`.
 */
async function childServer(options: Record<string, unknown> = {}): Promise<{ port: number; kill(): void }> {
  const root = fileURLToPath(new URL('../../../', import.meta.url))
  const code = [
    `import { serve } from './src/node/index.ts'`,
    `const { default: manifest } = await import('./test/e2e/ws/manifest.ts')`,
    `const server = await serve(manifest, { port: 0, onError: () => {}, ...${JSON.stringify(options)} })`,
    `process.stdout.write(server.port + '\\n')`,
  ].join('\n')
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  const kill = () => void child.kill('SIGKILL')
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the child server did not start within 15 s')), 15_000)
      child.stdout.once('data', (data: Buffer) => (clearTimeout(timer), resolve(Number(data.toString().trim()))))
      child.once('exit', (exitCode) => (clearTimeout(timer), reject(new Error(`the child server exited with ${exitCode}`))))
    })
    return { port, kill }
  } catch (error) {
    kill()
    throw error
  }
}

/** A `$/ping` round trip in ms, or Infinity when not answered within `timeout` ms. */
async function pingTime(client: RawClient, timeout: number): Promise<number> {
  const start = performance.now()
  const answered = await Promise.race([client.call('$/ping').then(() => true), sleep(timeout).then(() => false)])
  return answered ? performance.now() - start : Infinity
}

describe('a generator that never awaits', () => {
  it('does not starve the server while a fast client reads its items', { timeout: 30_000 }, async () => {
    // big(1) yields 'x' without awaiting: while the socket accepts the writes, only the event loop
    // can stop it. The server runs in a child process: with the client reading fast in this one,
    // the socket buffers never fill, so nothing but the server itself can give other work a turn.
    const child = await childServer()
    const url = `ws://127.0.0.1:${child.port}/ws`
    const sockets: WebSocket[] = []
    try {
      const probe = await connect(url)
      sockets.push(probe.socket)
      expect(await pingTime(probe, 2000)).toBeLessThan(2000)
      const { socket, state } = await subscriber(url, 'big', 'tiny', [1])
      sockets.push(socket)
      const latencies: number[] = []
      for (let i = 0; i < 10; i++) {
        const latency = await pingTime(probe, 1000)
        latencies.push(latency)
        if (latency === Infinity) break
        await sleep(100)
      }
      console.info(`[backpressure] never-awaiting generator: ${state.items} items received; $/ping latencies (ms) ${latencies.map((ms) => ms.toFixed(0)).join(', ')}`)
      expect(state.items).toBeGreaterThan(0)
      expect(Math.max(...latencies), 'other connections must still be served').toBeLessThan(500)
      // ... and its own $/cancel is read and answered.
      socket.send(JSON.stringify({ jsonrpc: '2.0', method: '$/cancel', params: { id: 'tiny' } }))
      const end = Date.now() + 2000
      while (state.terminal === undefined && Date.now() < end) await sleep(10)
      expect(state.terminal).toMatchObject({ id: 'tiny', error: { code: -32800 } })
    } finally {
      child.kill()
      for (const socket of sockets) socket.terminate()
    }
  })
})
