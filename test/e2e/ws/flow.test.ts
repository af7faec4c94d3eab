// Flow control ($/credit) and the message rate limit (maxMessageRate), over a real socket with a
// raw client (docs/protocol.md, "$/credit" and "Limits").
import { once } from 'node:events'
import { describe, expect, it, vi } from 'vitest'
import { pulls } from './routes.js'
import { answerOf, expectNothingMore, nextOf, sleep, startWsServer } from './protocol-harness.js'

const server = await startWsServer()
const logged: string[] = []
const log = (line: string) => void logged.push(line)
const limited = await startWsServer({ maxMessageRate: 50, logger: { info: log, warn: log, error: log } })
const unlimited = await startWsServer({ maxMessageRate: 0 })

const credit = (id: unknown, amount: unknown, lossy?: boolean) => ({ jsonrpc: '2.0', method: '$/credit', params: { id, credit: amount, ...(lossy ? { lossy } : {}) } })
const subscribe = (id: unknown, method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params })

describe('$/credit', () => {
  it('sends at most the credit granted before the request, pausing the generator, and resumes with more', async () => {
    const client = await server.open()
    const before = pulls.count
    client.send(credit('f1', 3))
    client.send(subscribe('f1', 'counted'))
    await vi.waitFor(() => expect(client.messages.filter(nextOf('f1'))).toHaveLength(3))
    await expectNothingMore(client, nextOf('f1'), 200)
    expect(pulls.count - before).toBe(3)
    client.send(credit('f1', 2))
    await vi.waitFor(() => expect(client.messages.filter(nextOf('f1'))).toHaveLength(5))
    await expectNothingMore(client, nextOf('f1'), 200)
    expect(pulls.count - before).toBe(5)
  })

  it('holds a subscription granted 0 until credit arrives, and cancels it while paused', async () => {
    const client = await server.open()
    client.send(credit('z', 0))
    client.send(subscribe('z', 'subscribeToUpdates', ['t']))
    await expectNothingMore(client, nextOf('z'), 200)
    client.send(credit('z', 1))
    await vi.waitFor(() => expect(client.messages.filter(nextOf('z'))).toHaveLength(1))
    client.send({ jsonrpc: '2.0', method: '$/cancel', params: { id: 'z' } })
    expect(await client.waitFor(answerOf('z'))).toMatchObject({ error: { code: -32800 } })
  })

  it('does not flow-control a subscription that got no credit before its request (plain JSON-RPC clients)', async () => {
    const client = await server.open()
    client.send(subscribe('n', 'subscribeToUpdates', ['t', 20]))
    client.send(credit('n', 1)) // too late: ignored
    expect(await client.waitFor(answerOf('n'))).toMatchObject({ result: 'done' })
    expect(client.messages.filter(nextOf('n'))).toHaveLength(20)
  })

  it('drops and counts items of a lossy subscription while it is out of credit, and says how many in the next item', async () => {
    const client = await server.open()
    client.send(credit('l', 1, true))
    client.send(subscribe('l', 'subscribeToUpdates', ['t']))
    await vi.waitFor(() => expect(client.messages.filter(nextOf('l'))).toHaveLength(1))
    await sleep(200) // the generator yields every 2 ms: those items are dropped, not buffered
    client.send(credit('l', 1))
    const second = await client.waitFor((message) => nextOf('l')(message) && message.params.value.timestamp > 0)
    expect(second.params.dropped).toBeGreaterThan(10)
    expect(second.params.value.timestamp).toBe(second.params.dropped + 1)
  })

  it('ignores credit that is not a whole number, credit for requests, and never answers credit', async () => {
    const client = await server.open()
    for (const bad of [-1, 1.5, '3', null, Number.MAX_VALUE]) client.send(credit('b', bad))
    client.send({ jsonrpc: '2.0', id: 'c1', method: '$/credit', params: { id: 'x', credit: 1 } })
    client.send(subscribe('b', 'subscribeToUpdates', ['t', 3]))
    expect(await client.waitFor(answerOf('b'))).toMatchObject({ result: 'done' }) // not flow-controlled: no valid credit came first
    client.send(credit('r', 5))
    expect(await client.call('getUserData', ['1'], 'r')).toMatchObject({ result: { id: '1' } })
    await expectNothingMore(client, answerOf('c1'), 100)
  })
})

describe('maxMessageRate', () => {
  it('answers requests over the rate with 429 and retryAfter, lets cancel through, and the connection recovers', async () => {
    const client = await limited.open()
    client.send(subscribe('s', 'waitForCancel'))
    await client.waitFor(nextOf('s'))
    // A burst of 100 (the bucket holds 2 × 50 tokens, two of them spent above).
    for (let i = 0; i < 100; i++) client.send(subscribe(i, 'getUserData', ['1']))
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => client.waitFor(answerOf(i))))
    const refused = answers.filter((answer) => answer.error?.code === 429)
    expect(refused.length).toBeGreaterThan(0)
    expect(refused.length).toBeLessThan(10)
    expect(refused[0].error).toMatchObject({ message: expect.stringMatching(/Too many messages: over 50 per second.*maxMessageRate/), data: { retryAfter: expect.any(Number) } })
    client.send({ jsonrpc: '2.0', method: '$/cancel', params: { id: 's' } })
    expect(await client.waitFor(answerOf('s'))).toMatchObject({ error: { code: -32800 } })
    await sleep(1000)
    expect(await client.call('getUserData', ['2'])).toMatchObject({ result: { id: '2' } })
  })

  it('closes a connection that keeps flooding with 1008', async () => {
    const client = await limited.open()
    const closed = once(client.socket, 'close')
    for (let i = 0; i < 300; i++) client.send({ jsonrpc: '2.0', method: 'logEvent', params: ['flood', i] })
    const [code, reason] = (await closed) as [number, Buffer]
    expect(code).toBe(1008)
    expect(reason.toString()).toMatch(/Message rate over maxMessageRate \(50\/s\)/)
  })

  it('counts WebSocket ping frames, so a ping flood is closed too', async () => {
    const client = await limited.open()
    const closed = once(client.socket, 'close')
    for (let i = 0; i < 300; i++) client.socket.ping()
    // The server closes with 1008; with pings still arriving, ws drops the TCP connection before
    // the close handshake ends, so the flooder may see 1006.
    expect([1006, 1008]).toContain(((await closed) as [number])[0])
    await vi.waitFor(() => expect(logged.filter((line) => / closed with 1008 /.test(line)).length).toBeGreaterThanOrEqual(2))
  })

  it('is off with maxMessageRate: 0', async () => {
    const client = await unlimited.open()
    for (let i = 0; i < 25_000; i++) client.send({ jsonrpc: '2.0', method: '$/credit', params: { id: 'none', credit: 1 } })
    expect(await client.call('getUserData', ['3'])).toMatchObject({ result: { id: '3' } })
  })
})
