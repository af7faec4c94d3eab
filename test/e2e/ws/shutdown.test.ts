// Graceful close under load (docs/protocol.md, "What happens to calls when a connection closes"):
// server.close() stops accepting upgrades, lets requests in flight finish until the deadline, ends
// subscriptions with -32001, answers requests still running at the deadline with -32001, then
// closes every connection with 1001, and resolves within the deadline.
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { serve, type RunningServer, type ServeOptions } from 'wirerpc/node'
import { WebSocket } from 'ws'
import { connect, type RawClient } from './helpers.js'
import manifest from './manifest.js'
import { held, pulls, state } from './routes.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const wsUrl = (server: RunningServer) => `ws://127.0.0.1:${server.port}/ws`

/** Resolves once `predicate()` holds, polling every 10 ms; rejects after `timeout` ms. */
async function until(predicate: () => boolean, timeout = 3000): Promise<void> {
  const end = Date.now() + timeout
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`Condition not met within ${timeout} ms: ${predicate.toString()}`)
    await sleep(10)
  }
}

/** Resolves with the close code of `socket`. */
async function closeCode(socket: WebSocket): Promise<number> {
  if (socket.readyState === WebSocket.CLOSED) return -1
  const [code] = (await once(socket, 'close')) as [number]
  return code
}

/** Starts a server and runs `body` with it; the server is closed afterwards whatever happens. */
async function withServer(options: ServeOptions, body: (server: RunningServer) => Promise<void>): Promise<void> {
  const server = await serve(manifest, { port: 0, hostname: '127.0.0.1', onError: () => {}, ...options })
  try {
    await body(server)
  } finally {
    await server.close()
  }
}

/** Tries to open a WebSocket: 101, the refusal's HTTP status, or the connection error's code. */
function attempt(url: string, headers: Record<string, string> = {}): Promise<{ outcome: number | string; socket: WebSocket }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers })
    socket.once('open', () => resolve({ outcome: 101, socket }))
    socket.once('unexpected-response', (request, response) => {
      response.resume()
      request.destroy()
      resolve({ outcome: response.statusCode ?? 0, socket })
    })
    socket.on('error', (error: NodeJS.ErrnoException) => resolve({ outcome: error.code ?? error.message, socket }))
  })
}

/** Messages about `id`: its $/next items and its terminal response. */
const about = (client: RawClient, id: string) => client.messages.filter((message: any) => message.id === id || message.params?.id === id) as any[]
const terminalOf = (client: RawClient, id: string) => about(client, id).find((message) => 'result' in message || 'error' in message)

describe('server.close() under load', () => {
  it('finishes requests in flight, ends subscriptions with -32001, closes with 1001, refuses upgrades, within the deadline', async () => {
    const shutdownTimeout = 2
    await withServer({ shutdownTimeout }, async (server) => {
      const clients = await Promise.all([0, 1, 2].map(() => connect(wsUrl(server))))
      const closes = clients.map((client) => closeCode(client.socket))
      const finallyBefore = state.finallyRan
      const abortedBefore = state.aborted
      const deferredBefore = state.deferred
      for (const [k, client] of clients.entries()) {
        for (let i = 0; i < 5; i++) client.send({ jsonrpc: '2.0', id: `c${k}-slow${i}`, method: 'slow', params: [300] })
        client.send({ jsonrpc: '2.0', id: `c${k}-news`, method: 'subscribeToUpdates', params: ['news'] })
        client.send({ jsonrpc: '2.0', id: `c${k}-wait`, method: 'waitForCancel' })
      }
      for (const [k, client] of clients.entries()) {
        await client.waitFor((message) => message.params?.id === `c${k}-news`)
        await client.waitFor((message) => message.params?.id === `c${k}-wait`)
      }
      expect(held.open).toBe(3)

      const start = Date.now()
      const closing = server.close()
      // No new connection while shutting down: refused at the HTTP level (503) or at the TCP level.
      const late = await attempt(wsUrl(server))
      expect([503, 'ECONNREFUSED']).toContain(late.outcome)
      // A request sent on an open connection during the shutdown is still answered exactly once.
      clients[0]!.send({ jsonrpc: '2.0', id: 'late', method: 'getUserData', params: ['late'] })
      await closing
      const elapsed = Date.now() - start
      expect(elapsed).toBeGreaterThanOrEqual(250)
      expect(elapsed).toBeLessThan(shutdownTimeout * 1000 + 500)

      expect(await Promise.all(closes)).toEqual([1001, 1001, 1001])
      for (const [k, client] of clients.entries()) {
        for (let i = 0; i < 5; i++) expect(about(client, `c${k}-slow${i}`)).toEqual([{ jsonrpc: '2.0', id: `c${k}-slow${i}`, result: 300 }])
        for (const sub of [`c${k}-news`, `c${k}-wait`]) {
          const messages = about(client, sub)
          const terminal = messages.at(-1)
          expect(terminal).toEqual({ jsonrpc: '2.0', id: sub, error: { code: -32001, message: expect.any(String) } })
          // Items, then exactly one terminal response, then nothing.
          expect(messages.slice(0, -1).every((message) => message.method === '$/next')).toBe(true)
          // Subscriptions end at once, before the slow requests finish.
          expect(client.messages.indexOf(terminal)).toBeLessThan(client.messages.indexOf(terminalOf(client, `c${k}-slow0`)))
        }
      }
      const late0 = about(clients[0]!, 'late')
      expect(late0).toHaveLength(1)
      expect(late0[0]).toEqual({ jsonrpc: '2.0', id: 'late', error: { code: -32001, message: expect.any(String) } })
      // Generators ran their finally blocks; the finished requests were not aborted; defers ran.
      await until(() => held.open === 0 && state.finallyRan === finallyBefore + 3)
      expect(state.aborted).toBe(abortedBefore)
      await until(() => state.deferred === deferredBefore + 15)
    })
  })

  it('answers requests longer than the deadline with -32001 at the deadline', async () => {
    const shutdownTimeout = 0.5
    await withServer({ shutdownTimeout }, async (server) => {
      const client = await connect(wsUrl(server))
      const closed = closeCode(client.socket)
      const abortedBefore = state.aborted
      const deferredBefore = state.deferred
      client.send({ jsonrpc: '2.0', id: 'long', method: 'slow', params: [5000] })
      client.send({ jsonrpc: '2.0', id: 'short', method: 'slow', params: [100] })
      await sleep(20)
      const start = Date.now()
      await server.close()
      const elapsed = Date.now() - start
      expect(elapsed).toBeGreaterThanOrEqual(shutdownTimeout * 1000 - 50)
      expect(elapsed).toBeLessThan(shutdownTimeout * 1000 + 500)
      expect(await closed).toBe(1001)
      expect(about(client, 'short')).toEqual([{ jsonrpc: '2.0', id: 'short', result: 100 }])
      expect(about(client, 'long')).toEqual([{ jsonrpc: '2.0', id: 'long', error: { code: -32001, message: expect.stringMatching(/shutting down/i) } }])
      // The long handler's signal was aborted and its defer ran.
      await until(() => state.aborted === abortedBefore + 1 && state.deferred === deferredBefore + 2)
    })
  })

  it('closes idle connections with 1001 at once', async () => {
    await withServer({ shutdownTimeout: 5 }, async (server) => {
      const clients = await Promise.all([0, 1, 2, 3].map(() => connect(wsUrl(server))))
      const closes = clients.map((client) => closeCode(client.socket))
      const start = Date.now()
      await server.close()
      expect(Date.now() - start).toBeLessThan(500)
      expect(await Promise.all(closes)).toEqual([1001, 1001, 1001, 1001])
    })
  })

  it('resolves by the deadline when a client stops reading', async () => {
    const shutdownTimeout = 0.5
    await withServer({ shutdownTimeout, highWaterMark: 64 * 1024 }, async (server) => {
      const stuck = await connect(wsUrl(server))
      const fine = await connect(wsUrl(server))
      const stuckClosed = closeCode(stuck.socket)
      const fineClosed = closeCode(fine.socket)
      stuck.send({ jsonrpc: '2.0', id: 'flood', method: 'counted' })
      stuck.socket.pause()
      const before = pulls.count
      await until(() => pulls.count > before)
      await sleep(200)
      const start = Date.now()
      await server.close()
      expect(Date.now() - start).toBeLessThan(shutdownTimeout * 1000 + 500)
      expect(await fineClosed).toBe(1001)
      // The stuck client never read the close frame: it was cut.
      stuck.socket.resume()
      expect([1001, 1006]).toContain(await stuckClosed)
    })
  })

  it('does not let an upgrade still in authorize when close() starts slip through', async () => {
    const shutdownTimeout = 1
    const authorize = async (request: Request) => {
      if (request.headers.has('x-slow')) await sleep(200)
    }
    await withServer({ shutdownTimeout, authorize }, async (server) => {
      const busy = await connect(wsUrl(server))
      // Keeps the shutdown busy past the moment the slow upgrade is authorized.
      busy.send({ jsonrpc: '2.0', id: 'busy', method: 'slow', params: [600] })
      const pending = attempt(wsUrl(server), { 'x-slow': '1' })
      await sleep(50)
      const start = Date.now()
      const closing = server.close()
      const { outcome, socket } = await pending
      if (outcome === 101) {
        // Accepted after all: then it must be closed with 1001 like every other connection.
        const messages: string[] = []
        socket.on('message', (data: Buffer) => messages.push(data.toString()))
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: 'slipped', method: 'slow', params: [5000] }))
        expect(await closeCode(socket)).toBe(1001)
        expect(messages.map((text) => JSON.parse(text))).toEqual([{ jsonrpc: '2.0', id: 'slipped', error: expect.objectContaining({ code: -32001 }) }])
      } else {
        expect([503, 'ECONNREFUSED', 'ECONNRESET']).toContain(outcome)
      }
      await closing
      expect(Date.now() - start).toBeLessThan(shutdownTimeout * 1000 + 500)
      expect(terminalOf(busy, 'busy')).toEqual({ jsonrpc: '2.0', id: 'busy', result: 600 })
    })
  })
})
