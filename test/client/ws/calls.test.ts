// The WebSocket client against a real serve(): the three call patterns, errors, options, and what
// each call leaves behind (docs/client.md, "WebSocket routes").
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { connectionOf, defineClient, NetworkError, TimeoutError, WsRequestError, type ClientOptions, type ErrorMode } from 'wirerpc/client'
import { serve } from 'wirerpc/node'
import { events, held, pulls, state } from '../../e2e/ws/routes.js'
import { startWsServer } from '../../e2e/ws/protocol-harness.js'
import * as api from './api.js'

const { server } = await startWsServer()
const clients: object[] = []
afterEach(() => {
  for (const client of clients.splice(0)) connectionOf(client).close()
})

function client<TMode extends ErrorMode = 'reject'>(options: ClientOptions<TMode> = {}) {
  const made = defineClient<typeof api, TMode>(api, { prefixUrl: server.url, ...options })
  clients.push(made)
  return made
}

describe('the three patterns', () => {
  it('sends a notification and resolves once it is written', async () => {
    const before = events.length
    await expect(client().logEvent('clicked', { x: 1 })).resolves.toBeUndefined()
    await vi.waitFor(() => expect(events.slice(before)).toEqual([{ event: 'clicked', data: { x: 1 } }]))
  })

  it('queues notifications made before the socket opens and sends them in order', async () => {
    const before = events.length
    const c = client()
    await Promise.all([c.logEvent('a', 1), c.logEvent('b', 2), c.logEvent('c', 3)])
    await vi.waitFor(() => expect(events.slice(before).map((e) => e.event)).toEqual(['a', 'b', 'c']))
  })

  it('answers requests, many in flight over one socket', async () => {
    const c = client()
    const users = await Promise.all(Array.from({ length: 100 }, (_, i) => c.getUserData(String(i))))
    expect(users.map((user) => user.id)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)))
    const [a, b] = await Promise.all([c.whoami(), c.whoami()])
    expect(a.connection).toBe(b.connection)
  })

  it('streams a subscription in order and ends with the generator, whose return value return() gets', async () => {
    const updates = client().subscribeToUpdates('news', 3)
    const seen: unknown[] = []
    let result: IteratorResult<unknown>
    while (!(result = await updates.next()).done) seen.push(result.value)
    expect(seen).toEqual([0, 1, 2].map((i) => ({ timestamp: i, data: `news ${i}` })))
    expect(result).toEqual({ done: true, value: 'done' })
    expect(await updates.next()).toEqual({ done: true, value: undefined })
  })

  it('leaves trailing optional parameters out, and reads the options argument after them', async () => {
    const c = client()
    await expect(c.optional('x')).resolves.toEqual({ a: 'x', b: null, hasContext: true })
    await expect(c.optional('x', undefined, { timeout: 5 })).resolves.toEqual({ a: 'x', b: null, hasContext: true })
    await expect(c.optional('x', 2)).resolves.toEqual({ a: 'x', b: 2, hasContext: true })
  })
})

describe('errors', () => {
  it('rejects with a WsRequestError carrying the code, message and data', async () => {
    const c = client()
    const conflict = await c.fail('http').catch((error: unknown) => error)
    expect(conflict).toBeInstanceOf(WsRequestError)
    expect(conflict).toMatchObject({ code: 409, data: { field: 'name' }, method: 'fail' })
    expect((conflict as Error).message).toBe('WebSocket call "fail" failed with code 409: taken')
    const invalid = await c.getUserData(5 as never).catch((error: unknown) => error)
    expect(invalid).toMatchObject({ code: -32602, data: { path: '/0', value: 5 } })
    await expect(c.unserializable()).rejects.toMatchObject({ code: -32603 })
  })

  it('ends a subscription with the error the generator threw, after the items before it', async () => {
    const seen: number[] = []
    const error = await (async () => {
      for await (const item of client().failingStream()) seen.push(item)
    })().catch((caught: unknown) => caught)
    expect(seen).toEqual([1])
    expect(error).toBeInstanceOf(WsRequestError)
    expect(error).toMatchObject({ code: 409, message: expect.stringContaining('stream conflict') })
  })

  it("resolves to [error, result] tuples with errorMode 'return'", async () => {
    const c = client({ errorMode: 'return' })
    expect(await c.getUserData('7')).toEqual([undefined, { id: '7', name: 'user 7' }])
    const [error, result] = await c.fail('http')
    expect(error).toBeInstanceOf(WsRequestError)
    expect(result).toBeUndefined()
    expect(await c.logEvent('tuple', null)).toEqual([undefined, undefined])
  })

  it('runs beforeError hooks on WebSocket errors', async () => {
    const seen: unknown[] = []
    const c = client({ hooks: { beforeError: [(error) => (seen.push(error.code), error)] } })
    await c.fail('http').catch(() => {})
    await c.slow(1000, { timeout: 0.05 }).catch(() => {})
    expect(seen).toEqual([409, 'WIRERPC_ERR_TIMEOUT'])
  })

  it('rejects arguments that JSON cannot carry with a TypeError, sending nothing', async () => {
    const c = client()
    await expect(c.getUserData(1n as never)).rejects.toThrow(/arguments of WebSocket call "getUserData" cannot be sent as JSON/)
    await expect(c.logEvent('x', 1n)).rejects.toThrow(/arguments of WebSocket call "logEvent" cannot be sent as JSON/)
    await expect(c.subscribeToUpdates(1n as never).next()).rejects.toThrow(/arguments of WebSocket call "subscribeToUpdates" cannot be sent as JSON/)
    expect(connectionOf(c).state).toBe('idle')
  })

  it('rejects at once with the error when no socket can be made (a relative prefixUrl in Node, a throwing wsParams)', async () => {
    await expect(client({ prefixUrl: '/api/' }).getUserData('1')).rejects.toThrow(/`prefixUrl` "\/api\/" is relative/)
    const failing = client({
      wsParams: () => {
        throw new Error('no token')
      },
    })
    await expect(failing.waitForCancel().next()).rejects.toThrow('no token')
    expect(connectionOf(failing).state).toBe('closed')
  })

  it('rejects an invalid per-call timeout with a TypeError naming it', async () => {
    await expect(client().getUserData('1', { timeout: -1 })).rejects.toThrow(/Invalid `timeout` -1: pass a positive number of seconds/)
  })
})

describe('cancellation', () => {
  it('rejects with a TimeoutError after `timeout` seconds and cancels the call on the server', async () => {
    const aborted = state.aborted
    const started = Date.now()
    const error = await client().slow(5000, { timeout: 0.2 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toMatchObject({ method: 'slow', timeout: 0.2, request: undefined })
    expect(Date.now() - started).toBeLessThan(2000)
    await vi.waitFor(() => expect(state.aborted).toBe(aborted + 1))
  })

  it('applies the client-level timeout to requests', async () => {
    await expect(client({ timeout: 0.1 }).slow(5000)).rejects.toBeInstanceOf(TimeoutError)
  })

  it('rejects a request with the reason when its signal aborts, and cancels it on the server', async () => {
    const aborted = state.aborted
    const controller = new AbortController()
    const call = client().slow(5000, { signal: controller.signal })
    setTimeout(() => controller.abort(new Error('stop')), 50)
    await expect(call).rejects.toThrow('stop')
    await vi.waitFor(() => expect(state.aborted).toBe(aborted + 1))
  })

  it('cancels a subscription on break: the generator finally runs, nothing stays pending', async () => {
    const finished = held.finished
    const c = client()
    for await (const item of c.waitForCancel()) {
      expect(item).toBe('ready')
      break
    }
    await vi.waitFor(() => expect(held.finished).toBe(finished + 1))
    expect(connectionOf(c).state).toBe('open')
    expect(connectionOf(c).pending).toBe(0)
  })

  it('ends a subscription with the reason when its signal aborts, and cancels it on the server', async () => {
    const finished = held.finished
    const controller = new AbortController()
    const subscription = client().waitForCancel({ signal: controller.signal })
    expect(await subscription.next()).toEqual({ done: false, value: 'ready' })
    const pending = subscription.next()
    controller.abort(new Error('unsubscribed'))
    await expect(pending).rejects.toThrow('unsubscribed')
    expect(await subscription.next()).toEqual({ done: true, value: undefined })
    await vi.waitFor(() => expect(held.finished).toBe(finished + 1))
  })

  it('does not send a call whose signal is already aborted', async () => {
    const c = client()
    const reason = new Error('too late')
    const signal = AbortSignal.abort(reason)
    await expect(c.getUserData('1', { signal })).rejects.toBe(reason)
    await expect(c.logEvent('x', 1, { signal })).rejects.toBe(reason)
    await expect(c.waitForCancel({ signal }).next()).rejects.toBe(reason)
    expect(connectionOf(c).state).toBe('idle')
  })
})

describe('flow control', () => {
  it('stops pulling the generator at the window, long before the connection buffer would (64 KiB items)', async () => {
    const before = pulls.count
    const subscription = client().counted({ window: 4 })
    await subscription.next()
    await new Promise((resolve) => setTimeout(resolve, 300))
    // 4 granted: the generator ran to its 4th yield and waits there (the 1 MiB buffer alone would allow ~16).
    expect(pulls.count - before).toBe(4)
    // Every 2 items read (half the window), 2 more are granted: 4 read in all → 4 more pulled.
    for (let i = 0; i < 3; i++) await subscription.next()
    await vi.waitFor(() => expect(pulls.count - before).toBe(4 + 4))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(pulls.count - before).toBe(8)
    await subscription.return()
  })

  it('pauses the server generator when the consumer stops reading a window ahead, and resumes it as the consumer reads', async () => {
    const subscription = client({ wsWindow: 6 }).subscribeToUpdates('flow')
    expect(await subscription.next()).toMatchObject({ value: { data: 'flow 0' } })
    // The consumer stops: the server may send at most the window (6) in all, then pause.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const held: number[] = []
    for (let i = 0; i < 5; i++) held.push(((await subscription.next()).value as { timestamp: number }).timestamp)
    expect(held).toEqual([1, 2, 3, 4, 5])
    // Reading granted more credit: items keep coming, in order, without a gap.
    const next = await subscription.next()
    expect(next.value).toMatchObject({ timestamp: 6 })
    await subscription.return()
  })

  it('keeps a lossy subscription running, counts what it dropped, and goes on with the latest items', async () => {
    const subscription = client().subscribeToUpdates('lossy', undefined, { window: 2, lossy: true })
    expect(await subscription.next()).toMatchObject({ value: { timestamp: 0 } })
    await new Promise((resolve) => setTimeout(resolve, 300)) // the generator yields every 2 ms meanwhile
    const first = (await subscription.next()).value as { timestamp: number }
    const second = (await subscription.next()).value as { timestamp: number }
    const third = (await subscription.next()).value as { timestamp: number }
    expect(first.timestamp).toBe(1)
    expect(second.timestamp).toBe(2)
    expect(third.timestamp).toBeGreaterThan(10) // items between were dropped, not buffered
    expect(subscription.dropped).toBe(third.timestamp - 3)
    await subscription.return()
  })

  it('throws a TypeError for an invalid window', () => {
    expect(() => client().subscribeToUpdates('x', undefined, { window: 0 })).toThrow(/Invalid `window` 0/)
  })
})

describe('the connection', () => {
  it('opens on the first call, reports its states, and close() rejects what is in flight', async () => {
    const c = client()
    const connection = connectionOf(c)
    const states: string[] = []
    connection.onStateChange((next, previous) => states.push(`${previous}->${next}`))
    expect(connection.state).toBe('idle')
    await c.getUserData('1')
    const call = c.slow(5000)
    const subscription = c.waitForCancel()
    await subscription.next()
    connection.close()
    await expect(call).rejects.toBeInstanceOf(NetworkError)
    await expect(call).rejects.toThrow(/closed by `connectionOf\(client\).close\(\)`/)
    await expect(subscription.next()).rejects.toBeInstanceOf(NetworkError)
    expect(states).toEqual(['idle->connecting', 'connecting->open', 'open->closed'])
    await expect(c.getUserData('2')).resolves.toMatchObject({ id: '2' })
    expect(connection.state).toBe('open')
  })

  it('shares the connection with extend()ed clients unless a connection option differs', async () => {
    const c = client()
    const sameSocket = c.extend({ timeout: 5, errorMode: 'reject' })
    const otherSocket = c.extend({ headers: { 'x-other': '1' } })
    clients.push(otherSocket)
    expect(connectionOf(sameSocket)).toBe(connectionOf(c))
    expect(connectionOf(otherSocket)).not.toBe(connectionOf(c))
    const [a, b, other] = await Promise.all([c.whoami(), sameSocket.whoami(), otherSocket.whoami()])
    expect(a.connection).toBe(b.connection)
    expect(other.connection).not.toBe(a.connection)
  })

  it('sends headers with the upgrade (Node), where middleware reads them', async () => {
    await expect(client({ headers: { authorization: 'Bearer good' } }).me()).resolves.toMatchObject({ user: 'ada' })
    await expect(client({ headers: () => ({ authorization: 'Bearer bad' }) }).me()).rejects.toMatchObject({ code: 401 })
  })

  it('closes after wsIdleTimeout with nothing in flight, and the next call reopens it', async () => {
    const c = client({ wsIdleTimeout: 0.2 })
    const connection = connectionOf(c)
    const first = await c.whoami()
    const subscription = c.waitForCancel()
    await subscription.next()
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(connection.state).toBe('open') // a subscription is open
    await subscription.return()
    await vi.waitFor(() => expect(connection.state).toBe('idle'), { timeout: 2000 })
    const second = await c.whoami()
    expect(second.connection).not.toBe(first.connection)
  })

  it('throws a TypeError naming an invalid WebSocket option', () => {
    expect(() => defineClient(api, { wsPingInterval: -1 })).toThrow(/Invalid `wsPingInterval` -1/)
    expect(() => defineClient(api, { wsPongTimeout: 0 })).toThrow(/Invalid `wsPongTimeout` 0/)
    expect(() => defineClient(api, { wsWindow: 0.5 })).toThrow(/Invalid `wsWindow` 0.5/)
    expect(() => connectionOf({})).toThrow(/connectionOf\(\) takes a client made by defineClient/)
  })
})

describe('wsParams and authorize', async () => {
  const guarded = await serve((await import('../../e2e/ws/manifest.js')).default, {
    port: 0,
    authorize: (request) => new URL(request.url).searchParams.get('token') === 'abc',
    onError: () => {},
  })
  afterAll(() => guarded.close())

  it('adds wsParams to the upgrade URL, calling a function on every attempt', async () => {
    const tokens: string[] = []
    const c = client({ prefixUrl: guarded.url, wsParams: () => (tokens.push('abc'), { token: 'abc' }) })
    await expect(c.getUserData('1')).resolves.toMatchObject({ id: '1' })
    expect(tokens).toEqual(['abc'])
  })

  it('gives up at once when the upgrade is refused with a 4xx status, and says why', async () => {
    const c = client({ prefixUrl: guarded.url, wsParams: { token: 'wrong' }, retry: 5 })
    const started = Date.now()
    const error = await c.getUserData('1').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NetworkError)
    expect((error as Error).message).toMatch(/refused the WebSocket upgrade with status 403/)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(connectionOf(c).state).toBe('closed')
  })
})

