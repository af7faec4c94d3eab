// The life of calls and connections over a real socket (docs/protocol.md): $/ping, $/cancel,
// a client going away mid-call, and what the handler's context holds.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { state } from './routes.js'
import { answerOf, expectNothing, expectNothingMore, mentions, nextOf, startWsServer } from './protocol-harness.js'

const server = await startWsServer()

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => void unhandled.push(reason)
beforeAll(() => void process.on('unhandledRejection', onUnhandled))
afterAll(() => void process.off('unhandledRejection', onUnhandled))

const cancel = (id: unknown) => ({ jsonrpc: '2.0', method: '$/cancel', params: { id } })
const cancelled = (id: unknown) => ({ jsonrpc: '2.0', id, error: { code: -32800, message: 'Request cancelled.' } })
const within = { timeout: 1000, interval: 5 }

describe('$/ping', () => {
  it('answers $/ping with "pong"', async () => {
    const client = await server.open()
    expect(await client.call('$/ping', undefined, 3)).toEqual({ jsonrpc: '2.0', id: 3, result: 'pong' })
  })

  it('does not answer $/ping sent as a notification', async () => {
    const client = await server.open()
    client.send({ jsonrpc: '2.0', method: '$/ping' })
    await expectNothing(client, () => true)
  })
})

describe('$/cancel', () => {
  it('cancels a request: aborts ctx.signal, runs its defers, answers -32800 and never sends the result', async () => {
    const client = await server.open()
    const { aborted, deferred } = state
    client.send({ jsonrpc: '2.0', id: 'c1', method: 'slow', params: [5000] })
    await client.call('$/ping') // the call has started
    client.send(cancel('c1'))
    expect(await client.waitFor(answerOf('c1'), 1000)).toEqual(cancelled('c1'))
    await vi.waitFor(() => {
      expect(state.aborted).toBe(aborted + 1)
      expect(state.deferred).toBe(deferred + 1)
    }, within)
    // The handler resolved (with 5000) after the abort: that result must not be sent.
    await expectNothing(client, (message) => mentions('c1')(message) && !('error' in message))
    expect(client.messages.filter(mentions('c1'))).toHaveLength(1)
  })

  it('cancels a subscription: runs the generator finally, answers -32800, sends no $/next after it', async () => {
    const client = await server.open()
    const finallyRan = state.finallyRan
    client.send({ jsonrpc: '2.0', id: 'c2', method: 'subscribeToUpdates', params: ['cancel-me'] })
    await vi.waitFor(() => expect(client.messages.filter(nextOf('c2')).length).toBeGreaterThanOrEqual(2), within)
    client.send(cancel('c2'))
    const answer = await client.waitFor(answerOf('c2'), 1000)
    expect(answer).toEqual(cancelled('c2'))
    await vi.waitFor(() => expect(state.finallyRan).toBe(finallyRan + 1), within)
    const at = client.messages.indexOf(answer)
    expect(client.messages.slice(at + 1).filter(mentions('c2'))).toEqual([])
    await expectNothingMore(client, mentions('c2'))
    const items = client.messages.filter(nextOf('c2')).map((item: any) => item.params.value.timestamp)
    expect(items).toEqual(items.map((_: unknown, i: number) => i))
  })

  it('accepts a string or an integer id in $/cancel', async () => {
    const client = await server.open()
    client.send({ jsonrpc: '2.0', id: 77, method: 'slow', params: [5000] })
    await client.call('$/ping')
    client.send(cancel(77))
    expect(await client.waitFor(answerOf(77), 1000)).toEqual(cancelled(77))
  })

  it('does nothing for an unknown id, and answers nothing to the $/cancel itself', async () => {
    const client = await server.open()
    client.send(cancel('never-sent'))
    client.send(cancel(12345))
    client.send({ jsonrpc: '2.0', method: '$/cancel', params: {} })
    client.send({ jsonrpc: '2.0', method: '$/cancel' })
    expect(await client.call('$/ping', undefined, 'after')).toEqual({ jsonrpc: '2.0', id: 'after', result: 'pong' })
    await expectNothingMore(client)
    expect(client.messages).toEqual([{ jsonrpc: '2.0', id: 'after', result: 'pong' }])
  })

  it('does nothing for a finished id', async () => {
    const client = await server.open()
    expect(await client.call('getUserData', ['1'], 'done')).toMatchObject({ result: { id: '1' } })
    client.send(cancel('done'))
    await expectNothingMore(client)
    expect(client.messages).toHaveLength(1)
  })

  it('cancels only the targeted call', async () => {
    const client = await server.open()
    client.send({ jsonrpc: '2.0', id: 'keep', method: 'slow', params: [80] })
    client.send({ jsonrpc: '2.0', id: 'drop', method: 'slow', params: [5000] })
    await client.call('$/ping')
    client.send(cancel('drop'))
    expect(await client.waitFor(answerOf('drop'), 1000)).toEqual(cancelled('drop'))
    expect(await client.waitFor(answerOf('keep'), 1000)).toEqual({ jsonrpc: '2.0', id: 'keep', result: 80 })
  })
})

describe('a client going away', () => {
  it('returns the generator and aborts running requests when the socket closes mid-subscription', async () => {
    const client = await server.open()
    const { finallyRan, aborted, deferred } = state
    client.send({ jsonrpc: '2.0', id: 'sub', method: 'subscribeToUpdates', params: ['closing'] })
    client.send({ jsonrpc: '2.0', id: 'req', method: 'slow', params: [5000] })
    await client.waitFor(nextOf('sub'), 1000)
    await client.close()
    await vi.waitFor(() => {
      expect(state.finallyRan).toBe(finallyRan + 1)
      expect(state.aborted).toBe(aborted + 1)
      expect(state.deferred).toBe(deferred + 1)
    }, within)
    expect(unhandled).toEqual([])
  })

  it('does the same when the connection drops without a close frame', async () => {
    const client = await server.open()
    const { finallyRan, aborted } = state
    client.send({ jsonrpc: '2.0', id: 'sub', method: 'subscribeToUpdates', params: ['dropping'] })
    client.send({ jsonrpc: '2.0', id: 'req', method: 'slow', params: [5000] })
    await client.waitFor(nextOf('sub'), 1000)
    client.socket.terminate()
    await vi.waitFor(() => {
      expect(state.finallyRan).toBe(finallyRan + 1)
      expect(state.aborted).toBe(aborted + 1)
    }, within)
    expect(unhandled).toEqual([])
  })

  it('leaves the other connections running', async () => {
    const leaving = await server.open()
    const staying = await server.open()
    staying.send({ jsonrpc: '2.0', id: 'stay', method: 'subscribeToUpdates', params: ['stay', 20] })
    leaving.send({ jsonrpc: '2.0', id: 'leave', method: 'subscribeToUpdates', params: ['leave'] })
    await leaving.waitFor(nextOf('leave'), 1000)
    await leaving.close()
    expect(await staying.waitFor(answerOf('stay'), 2000)).toEqual({ jsonrpc: '2.0', id: 'stay', result: 'done' })
    expect(staying.messages.filter(nextOf('stay'))).toHaveLength(20)
  })

  it('caused no unhandled rejections', async () => {
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(unhandled).toEqual([])
    expect(server.errors).toEqual([])
  })
})

describe('the context', () => {
  it('holds the connection id, the client ip and the upgrade headers', async () => {
    const first = await server.open({ headers: { 'user-agent': 'wirerpc-e2e/1.0' } })
    const second = await server.open()
    const a = (await first.call('whoami', [], 1)).result
    const again = (await first.call('whoami', [], 2)).result
    const b = (await second.call('whoami', [], 1)).result
    expect(a).toEqual({ connection: expect.any(String), ip: '127.0.0.1', agent: 'wirerpc-e2e/1.0' })
    expect(a.connection).not.toBe('')
    expect(again).toEqual(a)
    expect(b.connection).not.toBe(a.connection)
    expect(b.agent).toBeNull()
  })

  it('pads optional params so that the context lands last', async () => {
    const client = await server.open()
    expect(await client.call('optional', ['x'], 1)).toEqual({ jsonrpc: '2.0', id: 1, result: { a: 'x', b: null, hasContext: true } })
    expect(await client.call('optional', ['x', 2], 2)).toEqual({ jsonrpc: '2.0', id: 2, result: { a: 'x', b: 2, hasContext: true } })
  })

  it('gives each call its own signal: cancelling one leaves the others unaborted', async () => {
    const client = await server.open()
    const { aborted } = state
    client.send({ jsonrpc: '2.0', id: 'x1', method: 'slow', params: [60] })
    client.send({ jsonrpc: '2.0', id: 'x2', method: 'slow', params: [5000] })
    await client.call('$/ping')
    client.send(cancel('x2'))
    expect(await client.waitFor(answerOf('x1'), 1000)).toMatchObject({ result: 60 })
    expect(state.aborted).toBe(aborted + 1)
  })
})
