// Attacks through the WebSocket protocol on what the server holds for a client (docs/security.md):
// a client that never reads its socket, batches whose members are cancelled or cut by a shutdown,
// and subscriptions whose generators never await. The server runs in a child process while a
// canary client calls it every 100 ms; each test asserts the documented answer, that the server
// is still alive, and that every canary call was answered.
import { once } from 'node:events'
import { afterAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { MiB, mib, openSocket, until } from './support-util.js'
import { record, size, type Figure } from './harness.js'
import { underAttack } from './support-canary.js'
import { startServerProcess, type ServerStats } from './support-process.js'

const figures: Figure[] = []
afterAll(() => record('hostile-engine', figures))

const memory = (stats: ServerStats) => stats.heapUsed + stats.external
const send = (socket: WebSocket, message: unknown) => socket.send(JSON.stringify(message))
const request = (id: unknown, method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params })

/** Collects a raw socket's messages (a batch's array stays one message). */
function messagesOf(socket: WebSocket): any[] {
  const messages: any[] = []
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString())))
  return messages
}

describe('a client that never reads', () => {
  it('stops reading from it over highWaterMark: server memory stays bounded however much it sends', { timeout: size(60_000, 120_000) }, async () => {
    const child = await startServerProcess({ gc: true, serve: { shutdownTimeout: 1 } })
    try {
      const CONNECTIONS = 5
      const SECONDS = size(3, 6)
      const before = memory(await child.stats())
      let sent = 0
      const { value: during, canary } = await underAttack(child, async () => {
        const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => openSocket(child.wsUrl)))
        for (const socket of sockets) socket.pause()
        const echo = 'e'.repeat(200_000)
        // About 100 echo calls of 200 KB a second each, unread, plus calls to a 100 KB method name.
        const end = Date.now() + SECONDS * 1000
        while (Date.now() < end) {
          for (const socket of sockets) {
            if (socket.bufferedAmount > 8 * MiB) continue // the test's own memory: the server stopped reading
            send(socket, request(++sent, 'getUserData', [echo]))
            if (sent % 10 === 0) send(socket, request(++sent, 'm'.repeat(100_000)))
          }
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
        const during = memory(await child.stats())
        for (const socket of sockets) socket.terminate()
        return during
      })
      const perConnection = (during - before) / CONNECTIONS
      // highWaterMark (256 KiB) plus what was running when reading stopped, and a message in ws's hands.
      expect(perConnection).toBeLessThan(4 * MiB)
      figures.push({
        section: 'limits',
        test: 'a client that never reads (highWaterMark)',
        load: `${CONNECTIONS} connections each sending getUserData(200 KB) every 10 ms and an unknown 100 KB method every 10th call for ${SECONDS} s, reading nothing (${sent} messages offered)`,
        result: `server heap + external after gc: ${mib(perConnection)} per non-reading connection; ${canary}`,
      })
    } finally {
      await child.kill()
    }
  })

  it('quotes at most 64 characters of an unknown method name in its -32601', async () => {
    const child = await startServerProcess({ serve: { shutdownTimeout: 1 } })
    try {
      const socket = await openSocket(child.wsUrl)
      const messages = messagesOf(socket)
      send(socket, request(1, 'm'.repeat(100_000)))
      await until(() => messages.length === 1, 5_000)
      expect(messages[0].error.code).toBe(-32601)
      expect(messages[0].error.message.length).toBeLessThan(100)
      socket.terminate()
    } finally {
      await child.kill()
    }
  })

  it('cuts a connection whose unsent answers pass maxBufferedAmount, and no other', { timeout: 30_000 }, async () => {
    const child = await startServerProcess({ serve: { shutdownTimeout: 1, highWaterMark: 64 * 1024, maxBufferedAmount: MiB } })
    try {
      const { canary } = await underAttack(child, async () => {
        const socket = await openSocket(child.wsUrl)
        socket.pause()
        const closed = once(socket, 'close')
        // 100 answers of 200 KB, due together: 20 MB that the client will not read.
        for (let i = 1; i <= 100; i++) send(socket, request(i, 'sized', [200_000, 300]))
        // Cut on the server (only the canary's connection is left), seen by the client once it reads.
        let connections = -1
        for (const deadline = Date.now() + 10_000; connections !== 1 && Date.now() < deadline; ) connections = (await child.stats()).connections
        expect(connections).toBe(1)
        socket.resume()
        const [code] = (await closed) as [number]
        expect(code).toBe(1006)
      })
      figures.push({
        section: 'limits',
        test: 'maxBufferedAmount',
        load: 'highWaterMark 64 KiB, maxBufferedAmount 1 MiB; 100 `sized(200 KB)` answers due together to a client that reads nothing',
        result: `connection cut (1006 on the client); ${canary}`,
      })
    } finally {
      await child.kill()
    }
  })
})

describe('batches', () => {
  it('answers every member: a member cancelled while another has finished', async () => {
    const child = await startServerProcess({ serve: { shutdownTimeout: 1 } })
    try {
      await underAttack(child, async () => {
        const socket = await openSocket(child.wsUrl)
        const messages = messagesOf(socket)
        send(socket, [request('hung', 'hang', [30_000]), request('quick', 'getUserData', ['q'])])
        send(socket, { jsonrpc: '2.0', method: '$/cancel', params: { id: 'hung' } })
        await until(() => messages.length === 2, 5_000, () => JSON.stringify(messages))
        expect(messages).toContainEqual({ jsonrpc: '2.0', id: 'hung', error: { code: -32800, message: 'Request cancelled.' } })
        expect(messages).toContainEqual([{ jsonrpc: '2.0', id: 'quick', result: { id: 'q', name: 'user q' } }])
        socket.terminate()
      })
    } finally {
      await child.kill()
    }
  })

  it('answers every member during close(): the finished one in the array, the hung one -32001, then 1001', async () => {
    const child = await startServerProcess({ serve: { shutdownTimeout: 1 } })
    const socket = await openSocket(child.wsUrl)
    const messages = messagesOf(socket)
    const closed = once(socket, 'close')
    send(socket, [request('hung', 'hang', [30_000]), request('quick', 'getUserData', ['q'])])
    // The batch is running (quick done, hung waiting) when the shutdown starts: a ping sent after it is answered first.
    send(socket, request('ping', '$/ping'))
    await until(() => messages.some((message) => message.id === 'ping'), 5_000)
    const exit = await child.terminate()
    const [code] = (await closed) as [number]
    expect(exit.code).toBe(0)
    expect(code).toBe(1001)
    expect(messages).toContainEqual({ jsonrpc: '2.0', id: 'hung', error: expect.objectContaining({ code: -32001 }) })
    expect(messages).toContainEqual([{ jsonrpc: '2.0', id: 'quick', result: { id: 'q', name: 'user q' } }])
  })
})

describe('subscriptions whose generators never await', () => {
  it('keep every other client served: one budget per event-loop turn for all of them', { timeout: size(30_000, 120_000) }, async () => {
    const child = await startServerProcess({ serve: { shutdownTimeout: 1 } })
    try {
      const CONNECTIONS = 3
      const SUBSCRIPTIONS = 100
      const SECONDS = size(3, 10)
      const { canary } = await underAttack(
        child,
        async () => {
          const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => openSocket(child.wsUrl)))
          for (const socket of sockets) {
            for (let i = 1; i <= SUBSCRIPTIONS; i++) {
              // Lossy with no credit: the generator runs on and every item is dropped.
              send(socket, { jsonrpc: '2.0', method: '$/credit', params: { id: i, credit: 0, lossy: true } })
              send(socket, request(i, 'spin'))
            }
          }
          await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
          for (const socket of sockets) socket.terminate()
        },
        { worstMs: 500 },
      )
      figures.push({
        section: 'limits',
        test: 'subscriptions that never await (fair turns)',
        load: `${CONNECTIONS} connections × ${SUBSCRIPTIONS} lossy subscriptions with no credit on a generator that yields without awaiting, for ${SECONDS} s`,
        result: canary,
      })
    } finally {
      await child.kill()
    }
  })
})

describe('topics of the in-memory PubSub', () => {
  it('keeps nothing of topics subscribed to and cancelled, and a bounded amount per idle topic with events', { timeout: size(60_000, 300_000) }, async () => {
    const CANCELLED = size(5_000, 20_000)
    // At most maxTopics (10,000 by default) idle topics keep their events.
    const PUBLISHED = size(5_000, 10_000)
    const child = await startServerProcess({ gc: true, serve: { shutdownTimeout: 1, maxMessageRate: 0 } })
    try {
      const name = (prefix: string, i: number) => `${prefix}-${i}-${'t'.repeat(200)}`
      /** Runs `run` for `count` distinct topics, 100 at a time, on one connection closed afterwards. */
      const each = async (count: number, run: (socket: WebSocket, messages: any[], i: number) => void, done: (messages: any[], i: number) => boolean) => {
        const socket = await openSocket(child.wsUrl)
        const messages = messagesOf(socket)
        for (let from = 0; from < count; from += 100) {
          const to = Math.min(count, from + 100)
          for (let i = from; i < to; i++) run(socket, messages, i)
          await until(() => done(messages, to - 1), 10_000, () => `topic ${to - 1}`)
        }
        socket.close()
        await once(socket, 'close')
      }
      const before = memory(await child.stats())
      const { canary } = await underAttack(child, () =>
        each(
          CANCELLED,
          (socket, _messages, i) => {
            send(socket, request(i, 'topicEvents', [name('cancelled', i)]))
            send(socket, { jsonrpc: '2.0', method: '$/cancel', params: { id: i } })
          },
          (messages, i) => messages.some((message) => message.id === i && message.error?.code === -32800),
        ),
      )
      const afterCancelled = memory(await child.stats())
      await each(
        PUBLISHED,
        (socket, _messages, i) => send(socket, request(i, 'publish', [name('published', i), i])),
        (messages, i) => messages.some((message) => message.id === i && typeof message.result === 'string'),
      )
      const afterPublished = memory(await child.stats())
      const cancelledGrowth = afterCancelled - before
      const perIdleTopic = (afterPublished - afterCancelled) / PUBLISHED
      expect(cancelledGrowth).toBeLessThan(2 * MiB)
      expect(perIdleTopic).toBeLessThan(2048)
      figures.push({
        section: 'limits',
        test: 'topics nobody follows (in-memory PubSub)',
        load: `${CANCELLED} subscribe-then-cancel calls on distinct 200-character topics over one connection, closed; then one small event published on each of ${PUBLISHED} other topics`,
        result: `cancelled topics: ${mib(cancelledGrowth)} left after gc; idle topics with one event: ${Math.round(perIdleTopic)} bytes each (heap + external after gc); ${canary}`,
      })
    } finally {
      await child.kill()
    }
  })
})
