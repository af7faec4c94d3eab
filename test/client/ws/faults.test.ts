// The WebSocket client when things go wrong between it and the server: a killed server, a
// half-open link, a server that is not there, clean and fatal closes (docs/client.md,
// "Reconnecting"). Real processes and sockets; the half-open link goes through a TCP proxy.
import net from 'node:net'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocketServer } from 'ws'
import { BufferOverflowError, connectionOf, defineClient, NetworkError, WsRequestError, type ClientOptions, type ConnectionState } from 'wirerpc/client'
import { serve } from 'wirerpc/node'
import { spawnServer } from '../../../bench/lib/spawn-server.js'
import manifest from '../../e2e/ws/manifest.js'
import { startTcpProxy } from '../../support/tcp-proxy.js'
import * as api from './api.js'

const clients: object[] = []
afterEach(() => {
  for (const client of clients.splice(0)) connectionOf(client).close()
})

function client(prefixUrl: string, options: ClientOptions<'reject'> = {}) {
  const made = defineClient(api, { prefixUrl, ...options })
  clients.push(made)
  return made
}

function recordStates(client: object): ConnectionState[] {
  const states: ConnectionState[] = []
  connectionOf(client).onStateChange((state) => states.push(state))
  return states
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = net.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as net.AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** A bare `ws` server that does `onMessage` with each connection's first message. */
async function fakeServer(onMessage: (socket: import('ws').WebSocket, message: string) => void) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((resolve) => wss.once('listening', resolve))
  const received: string[] = []
  let connections = 0
  wss.on('connection', (socket) => {
    connections++
    socket.on('message', (data) => {
      received.push(String(data))
      onMessage(socket, String(data))
    })
  })
  afterAll(() => new Promise((resolve) => wss.close(resolve)))
  return { url: `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}/`, received, connections: () => connections }
}

describe('reconnecting', () => {
  it('resumes a subscription after the server is killed (SIGKILL) and started again on its port', async () => {
    const script = new URL('./fixtures/server-process.ts', import.meta.url)
    const first = await spawnServer('ws-faults', script)
    const port = new URL(first.url).port
    let second: Awaited<ReturnType<typeof spawnServer>> | undefined
    try {
      const c = client(first.url)
      const states = recordStates(c)
      const starts: number[] = [] // items with timestamp 0: one per (re)subscription
      let received = 0
      const loop = (async () => {
        for await (const update of c.subscribeToUpdates('live')) {
          received++
          if (update.timestamp === 0) starts.push(received)
          if (starts.length === 2 && update.timestamp === 20) break
        }
      })()
      await vi.waitFor(() => expect(received).toBeGreaterThan(10), { timeout: 5000 })
      await first.kill()
      await vi.waitFor(() => expect(connectionOf(c).state).toBe('reconnecting'), { timeout: 5000 })
      second = await spawnServer('ws-faults', script, 30_000, { PORT: port })
      await loop // the consumer's loop went on: it ends by its own break, not by an error
      expect(starts).toHaveLength(2)
      expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open'])
      expect(connectionOf(c).pending).toBe(0)
    } finally {
      await first.kill()
      await second?.stop()
    }
  }, 40_000)

  it('resubscribes after a graceful restart (-32001, then close 1001), and rejects the request the shutdown cut', async () => {
    let server = await serve(manifest, { port: 0, onError: () => {}, shutdownTimeout: 0.2 })
    const { port, url } = server
    const c = client(url)
    const subscription = c.waitForCancel()
    expect(await subscription.next()).toEqual({ done: false, value: 'ready' })
    const cut = c.slow(5000).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await server.close()
    expect(await cut).toMatchObject({ code: -32001 })
    expect(await cut).toBeInstanceOf(WsRequestError)
    server = await serve(manifest, { port, onError: () => {} })
    try {
      expect(await subscription.next()).toEqual({ done: false, value: 'ready' })
      expect(connectionOf(c).state).toBe('open')
    } finally {
      await subscription.return()
      await server.close()
    }
  })

  it('notices a half-open link within wsPingInterval + wsPongTimeout, then reconnects and resubscribes', async () => {
    const server = await serve(manifest, { port: 0, onError: () => {} })
    const proxy = await startTcpProxy(server.port)
    try {
      const c = client(`http://127.0.0.1:${proxy.port}/`, { wsPingInterval: 1, wsPongTimeout: 1 })
      const subscription = c.waitForCancel()
      expect(await subscription.next()).toEqual({ done: false, value: 'ready' })
      await new Promise((resolve) => setTimeout(resolve, 1500)) // pings go through while the link works
      expect(connectionOf(c).state).toBe('open')
      const blackholed = Date.now()
      proxy.blackhole()
      const again = subscription.next()
      await vi.waitFor(() => expect(connectionOf(c).state).not.toBe('open'), { timeout: 5000, interval: 20 })
      const detectedAfter = (Date.now() - blackholed) / 1000
      expect(detectedAfter).toBeLessThanOrEqual(1 + 1 + 1)
      expect(await again).toEqual({ done: false, value: 'ready' }) // subscribed again on a new connection
      expect(proxy.accepted).toBe(2)
      await subscription.return()
    } finally {
      await proxy.close()
      await server.close()
    }
  })

  it('does not reconnect a connection that drops with nothing in flight; the next call reopens it', async () => {
    const server = await serve(manifest, { port: 0, onError: () => {} })
    const proxy = await startTcpProxy(server.port)
    try {
      const c = client(`http://127.0.0.1:${proxy.port}/`)
      await c.getUserData('1')
      proxy.resetAll()
      await vi.waitFor(() => expect(connectionOf(c).state).toBe('idle'))
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(proxy.accepted).toBe(1)
      await expect(c.getUserData('2')).resolves.toMatchObject({ id: '2' })
      expect(proxy.accepted).toBe(2)
    } finally {
      await proxy.close()
      await server.close()
    }
  })
})

describe('calls that cannot be answered settle', () => {
  it('rejects every kind of call with a NetworkError when the server is down, after the retry policy', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/`
    const c = client(url, { retry: { limit: 2, backoffLimit: 0.2 } })
    const states = recordStates(c)
    const started = Date.now()
    const [request, notification, subscription] = await Promise.all([
      c.getUserData('1').catch((error: unknown) => error),
      c.logEvent('x', 1).catch((error: unknown) => error),
      c.waitForCancel().next().catch((error: unknown) => error),
    ])
    for (const error of [request, notification, subscription]) {
      expect(error).toBeInstanceOf(NetworkError)
      expect((error as Error).message).toMatch(/^WebSocket call "\w+" failed before any response \(.*ECONNREFUSED.*\)\. Check that `prefixUrl`/)
    }
    expect(Date.now() - started).toBeLessThan(3000)
    // three attempts: the first and two retries
    expect(states).toEqual(['connecting', 'closed'])
    expect(connectionOf(c).pending).toBe(0)
  })

  it('rejects a request when the server closes the connection cleanly before answering', async () => {
    const fake = await fakeServer((socket) => socket.close(1000, 'bye'))
    const c = client(fake.url)
    const error = await c.getUserData('1').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NetworkError)
    expect((error as Error).message).toMatch(/closed with code 1000 \(bye\).*may or may not have run/)
    expect(connectionOf(c).state).toBe('idle')
    expect(fake.received).toHaveLength(1)
  })

  it('sends an idempotent request again after a drop, up to retry.limit times', async () => {
    const fake = await fakeServer((socket) => socket.close(1000))
    const c = client(fake.url, { retry: { limit: 2, backoffLimit: 0.1 } })
    await expect(c.getUserData('1', { idempotent: true })).rejects.toBeInstanceOf(NetworkError)
    expect(fake.received).toHaveLength(3)
  })

  it('answers an idempotent request that was cut once, on the next connection', async () => {
    let drops = 1
    const fake = await fakeServer((socket, message) => {
      if (drops-- > 0) return socket.terminate()
      const { id } = JSON.parse(message) as { id: number }
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, result: { id: '1', name: 'again' } }))
    })
    const c = client(fake.url, { retry: { limit: 2, backoffLimit: 0.1 } })
    await expect(c.getUserData('1', { idempotent: true })).resolves.toEqual({ id: '1', name: 'again' })
    expect(fake.connections()).toBe(2)
  })

  it('gives up for good on a fatal close code (1008): everything rejects, nothing reconnects', async () => {
    const fake = await fakeServer((socket) => socket.close(1008, 'policy'))
    const c = client(fake.url)
    const subscription = c.waitForCancel()
    const error = await subscription.next().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NetworkError)
    expect((error as Error).message).toMatch(/closed with code 1008 \(policy\)/)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(fake.connections()).toBe(1)
    expect(connectionOf(c).state).toBe('closed')
  })

  it('ends a subscription with a BufferOverflowError when the server sends more than the window (ignoring $/credit)', async () => {
    const fake = await fakeServer((socket, message) => {
      const { id, method } = JSON.parse(message) as { id?: number; method: string }
      if (method !== 'waitForCancel') return
      for (let i = 0; i < 10; i++) socket.send(JSON.stringify({ jsonrpc: '2.0', method: '$/next', params: { id, value: i } }))
    })
    const subscription = client(fake.url, { wsWindow: 3 }).waitForCancel()
    const seen: unknown[] = []
    const error = await (async () => {
      for await (const item of subscription) seen.push(item)
    })().catch((caught: unknown) => caught)
    expect(seen).toEqual([0, 1, 2, 3]) // one handed to the waiting loop, the 3 it held, then the error
    expect(error).toBeInstanceOf(BufferOverflowError)
    expect(error).toMatchObject({ limit: 3, code: 'WIRERPC_ERR_BUFFER_OVERFLOW' })
    await vi.waitFor(() => expect(fake.received.some((text) => text.includes('$/cancel'))).toBe(true))
    expect(JSON.parse(fake.received[0]!)).toMatchObject({ method: '$/credit', params: { credit: 3 } }) // the window came first
  })

  it('ignores frames it cannot read and keeps the connection', async () => {
    const fake = await fakeServer((socket, message) => {
      const { id } = JSON.parse(message) as { id: number }
      for (const junk of ['not json', '42', 'null', '[1,2]', '{"id":999,"result":1}', '{"method":"$/next","params":{"id":"x"}}']) socket.send(junk)
      socket.send(Buffer.from([1, 2, 3]))
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, error: 'not an object' }))
    })
    const error = await client(fake.url).getUserData('1').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(WsRequestError)
    expect(error).toMatchObject({ code: -32603, message: expect.stringContaining('Unknown error') })
  })
})
