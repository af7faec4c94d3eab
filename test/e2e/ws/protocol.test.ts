// The WebSocket protocol of docs/protocol.md, end to end: a real serve() on 127.0.0.1 and a raw
// `ws` client sending JSON-RPC frames. Patterns, error codes and batches; see lifecycle.test.ts
// for $/ping, $/cancel, closing and the context.
import { describe, expect, it, vi } from 'vitest'
import { events, state } from './routes.js'
import { answerOf, expectNothing, expectNothingMore, mentions, nextOf, notification, request, startWsServer } from './protocol-harness.js'

const server = await startWsServer()
const quiet = await startWsServer({ debug: false })

describe('the three patterns', () => {
  it('runs a notification and never answers it', async () => {
    const client = await server.open()
    client.send(notification('logEvent', ['user_action', { userId: 123 }]))
    await vi.waitFor(() => expect(events).toContainEqual({ event: 'user_action', data: { userId: 123 } }), { timeout: 1000, interval: 5 })
    await expectNothing(client, () => true)
  })

  it('answers a request with exactly one response holding the result', async () => {
    const client = await server.open()
    client.send(request(7, 'getUserData', ['123']))
    expect(await client.waitFor(answerOf(7), 1000)).toEqual({ jsonrpc: '2.0', id: 7, result: { id: '123', name: 'user 123' } })
    await expectNothingMore(client)
    expect(client.messages).toHaveLength(1)
  })

  it('accepts string ids and answers with the same id', async () => {
    const client = await server.open()
    expect(await client.call('getUserData', ['1'], 'req-a')).toEqual({ jsonrpc: '2.0', id: 'req-a', result: { id: '1', name: 'user 1' } })
  })

  it('streams a subscription as $/next items in order, then one terminal response with the return value, then nothing', async () => {
    const client = await server.open()
    const before = state.finallyRan
    client.send(request('sub', 'subscribeToUpdates', ['news', 3]))
    const terminal = await client.waitFor(answerOf('sub'), 1000)
    expect(terminal).toEqual({ jsonrpc: '2.0', id: 'sub', result: 'done' })
    expect(client.messages).toEqual([
      { jsonrpc: '2.0', method: '$/next', params: { id: 'sub', value: { timestamp: 0, data: 'news 0' } } },
      { jsonrpc: '2.0', method: '$/next', params: { id: 'sub', value: { timestamp: 1, data: 'news 1' } } },
      { jsonrpc: '2.0', method: '$/next', params: { id: 'sub', value: { timestamp: 2, data: 'news 2' } } },
      terminal,
    ])
    expect(state.finallyRan).toBe(before + 1)
    await expectNothingMore(client, mentions('sub'))
  })

  it('ends a subscription whose generator throws with the error after the items it yielded', async () => {
    const client = await server.open()
    client.send(request(9, 'failingStream'))
    await client.waitFor(answerOf(9), 1000)
    expect(client.messages).toEqual([
      { jsonrpc: '2.0', method: '$/next', params: { id: 9, value: 1 } },
      { jsonrpc: '2.0', id: 9, error: { code: 409, message: 'stream conflict' } },
    ])
  })

  it('answers a request to a notification route with result null', async () => {
    const client = await server.open()
    expect(await client.call('logEvent', ['with-id', null], 11)).toEqual({ jsonrpc: '2.0', id: 11, result: null })
    expect(events).toContainEqual({ event: 'with-id', data: null })
  })

  it('runs a notification sent to a request route without answering it', async () => {
    const client = await server.open()
    const deferred = state.deferred
    client.send(notification('slow', [1]))
    await vi.waitFor(() => expect(state.deferred).toBe(deferred + 1), { timeout: 1000, interval: 5 })
    await expectNothing(client, () => true)
  })

  it('ignores a subscription called without an id', async () => {
    const client = await server.open()
    const finallyRan = state.finallyRan
    client.send(notification('subscribeToUpdates', ['ignored', 2]))
    await expectNothing(client, () => true)
    expect(state.finallyRan).toBe(finallyRan)
  })

  it('does not answer notifications with errors (unknown method, bad params)', async () => {
    const client = await server.open()
    client.send(notification('nope', []))
    client.send(notification('getUserData', [1]))
    client.send(notification('fail', ['boom']))
    await expectNothing(client, () => true)
  })
})

describe('-32700 parse error', () => {
  it('answers a frame that is not JSON with id null and keeps the connection open', async () => {
    const client = await server.open()
    client.sendText('{"jsonrpc": "2.0", "id": 1, "method": ')
    const error = await client.waitFor((message) => message.error?.code === -32700, 1000)
    expect(error).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.stringMatching(/^Parse error: the frame is not JSON/) } })
    expect(await client.call('$/ping')).toMatchObject({ result: 'pong' })
  })

  it('answers a binary frame with id null and keeps the connection open', async () => {
    const client = await server.open()
    client.socket.send(Buffer.from(JSON.stringify(request(1, '$/ping'))), { binary: true })
    expect(await client.waitFor((message) => message.error?.code === -32700, 1000)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error: binary frames are not supported; send JSON-RPC messages as text frames.' },
    })
    expect(await client.call('getUserData', ['2'])).toMatchObject({ result: { id: '2' } })
  })
})

describe('-32600 invalid request', () => {
  const invalid = (id: unknown, message: string) => ({ jsonrpc: '2.0', id, error: { code: -32600, message: `Invalid request: ${message}.` } })

  it.each([
    ['a number', '5', invalid(null, 'a message must be a JSON object (or an array of them)')],
    ['a string', '"hello"', invalid(null, 'a message must be a JSON object (or an array of them)')],
    ['null', 'null', invalid(null, 'a message must be a JSON object (or an array of them)')],
    ['an object without jsonrpc', '{"id":2,"method":"getUserData","params":["1"]}', invalid(2, '"jsonrpc" must be "2.0"')],
    ['jsonrpc "1.0"', '{"jsonrpc":"1.0","id":3,"method":"getUserData","params":["1"]}', invalid(3, '"jsonrpc" must be "2.0"')],
    ['an id null', '{"jsonrpc":"2.0","id":null,"method":"getUserData","params":["1"]}', invalid(null, '"id" must be a string or an integer')],
    ['a float id', '{"jsonrpc":"2.0","id":1.5,"method":"getUserData","params":["1"]}', invalid(null, '"id" must be a string or an integer')],
    ['an object id', '{"jsonrpc":"2.0","id":{"a":1},"method":"getUserData","params":["1"]}', invalid(null, '"id" must be a string or an integer')],
    ['a method that is a number', '{"jsonrpc":"2.0","id":4,"method":5}', invalid(4, '"method" must be a non-empty string')],
    ['no method', '{"jsonrpc":"2.0","id":5}', invalid(5, '"method" must be a non-empty string')],
    ['an empty method', '{"jsonrpc":"2.0","id":6,"method":""}', invalid(6, '"method" must be a non-empty string')],
    ['an empty batch', '[]', invalid(null, 'an empty batch')],
  ])('answers %s with -32600', async (_, text, expected) => {
    const client = await server.open()
    client.sendText(text)
    expect(await client.waitFor(() => true, 1000)).toEqual(expected)
    await expectNothingMore(client, () => true, 50)
    expect(client.messages).toHaveLength(1)
    expect(await client.call('$/ping')).toMatchObject({ result: 'pong' })
  })

  it('answers a batch of 51 messages with one -32600 and runs none of it', async () => {
    const client = await server.open()
    const batch = Array.from({ length: 51 }, (_, i) => notification('logEvent', ['batch-51', i]))
    client.send(batch)
    expect(await client.waitFor(() => true, 1000)).toEqual(invalid(null, 'a batch of 51 messages (maxBatchSize is 50)'))
    await expectNothingMore(client)
    expect(client.messages).toHaveLength(1)
    expect(events.filter((event) => event.event === 'batch-51')).toEqual([])
  })

  it('runs a batch of exactly 50 messages', async () => {
    const client = await server.open()
    client.send(Array.from({ length: 50 }, (_, i) => request(`b50-${i}`, 'getUserData', [`${i}`])))
    const frame = await client.waitFor(Array.isArray, 1000)
    expect(frame).toHaveLength(50)
  })

  it('refuses a second request with an id still in flight, while the first goes on and answers normally', async () => {
    const client = await server.open()
    client.send(request('dup', 'slow', [150]))
    client.send(request('dup', 'getUserData', ['1']))
    const refused = await client.waitFor(answerOf('dup'), 1000)
    expect(refused).toEqual(invalid('dup', 'id "dup" is already in flight; use a new id'))
    expect(await client.waitFor((message) => answerOf('dup')(message) && 'result' in message, 1000)).toEqual({ jsonrpc: '2.0', id: 'dup', result: 150 })
    expect(client.messages.filter(answerOf('dup'))).toHaveLength(2)
    // Once answered, the id can be used again.
    const from = client.messages.length
    client.send(request('dup', 'getUserData', ['3']))
    expect(await client.waitFor((message) => client.messages.indexOf(message) >= from && answerOf('dup')(message), 1000)).toEqual({ jsonrpc: '2.0', id: 'dup', result: { id: '3', name: 'user 3' } })
  })

  it('refuses an id already used by a running subscription', async () => {
    const client = await server.open()
    client.send(request('live', 'subscribeToUpdates', ['live']))
    await client.waitFor(nextOf('live'), 1000)
    expect(await client.call('getUserData', ['1'], 'live')).toEqual(invalid('live', 'id "live" is already in flight; use a new id'))
    client.send(notification('$/cancel', { id: 'live' }))
    expect(await client.waitFor((message) => answerOf('live')(message) && message.error.code === -32800, 1000)).toBeDefined()
  })
})

describe('-32601 method not found', () => {
  it.each(['nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '$/unknown', '$/next'])('answers %j with -32601', async (method) => {
    const client = await server.open()
    expect(await client.call(method, [])).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32601, message: `Method not found: ${JSON.stringify(method)}.` },
    })
    expect(await client.call('$/ping')).toMatchObject({ result: 'pong' })
  })
})

describe('-32602 invalid params', () => {
  it('answers a value of the wrong type with its path and value', async () => {
    const client = await server.open()
    expect(await client.call('getUserData', [123], 20)).toEqual({
      jsonrpc: '2.0',
      id: 20,
      error: { code: -32602, message: 'Invalid params: /0 must be string.', data: { path: '/0', value: 123 } },
    })
  })

  it('points into nested positions (a wrong optional param)', async () => {
    const client = await server.open()
    expect(await client.call('optional', ['a', 'b'], 21)).toEqual({
      jsonrpc: '2.0',
      id: 21,
      error: { code: -32602, message: 'Invalid params: /1 must be number.', data: { path: '/1', value: 'b' } },
    })
  })

  it('answers too few params', async () => {
    const client = await server.open()
    const response = await client.call('getUserData', [], 22)
    expect(response).toEqual({
      jsonrpc: '2.0',
      id: 22,
      error: { code: -32602, message: 'Invalid params: (root) must not have fewer than 1 items.', data: { path: '', value: [] } },
    })
  })

  it('answers missing params on a route that takes some like an empty array', async () => {
    const client = await server.open()
    expect(await client.call('getUserData', undefined, 23)).toMatchObject({ id: 23, error: { code: -32602, data: { path: '' } } })
  })

  it('answers too many params, pointing at the first extra one', async () => {
    const client = await server.open()
    expect(await client.call('getUserData', ['a', 'b'], 24)).toEqual({
      jsonrpc: '2.0',
      id: 24,
      error: { code: -32602, message: 'Invalid params: /1 is one value too many.', data: { path: '/1', value: 'b' } },
    })
    expect(await client.call('whoami', [1], 25)).toMatchObject({ id: 25, error: { code: -32602, data: { path: '/0', value: 1 } } })
  })

  it('refuses by-name (object) params', async () => {
    const client = await server.open()
    client.send(request(26, 'getUserData', { userId: '1' }))
    expect(await client.waitFor(answerOf(26), 1000)).toEqual({
      jsonrpc: '2.0',
      id: 26,
      error: { code: -32602, message: 'Invalid params: "params" must be an array of positional arguments (by-name params are not supported).' },
    })
  })

  it('accepts params left out on a route that takes none', async () => {
    const client = await server.open()
    expect(await client.call('whoami', undefined, 27)).toMatchObject({ id: 27, result: { ip: '127.0.0.1' } })
  })
})

describe('-32603 internal error and HTTP errors', () => {
  it('answers a thrown Error with its message and stack in debug mode, and reports it to onError', async () => {
    const client = await server.open()
    const errors = server.errors.length
    const response = await client.call('fail', ['boom'], 30)
    expect(response).toEqual({
      jsonrpc: '2.0',
      id: 30,
      error: { code: -32603, message: 'Internal error.', data: { message: 'boom', stack: expect.stringMatching(/^Error: boom\n\s+at /) } },
    })
    expect(server.errors.slice(errors)).toEqual([expect.objectContaining({ message: 'boom' })])
  })

  it('answers a thrown non-Error with its description in debug mode', async () => {
    const client = await server.open()
    expect(await client.call('fail', ['string'], 31)).toEqual({
      jsonrpc: '2.0',
      id: 31,
      error: { code: -32603, message: 'Internal error.', data: { message: 'Non-Error thrown: plain string' } },
    })
  })

  it('answers a rejected promise like a thrown Error', async () => {
    const client = await server.open()
    expect(await client.call('fail', ['reject'], 32)).toEqual({
      jsonrpc: '2.0',
      id: 32,
      error: { code: -32603, message: 'Internal error.', data: { message: 'rejected', stack: expect.stringContaining('Error: rejected') } },
    })
  })

  it.each(['boom', 'string', 'reject'])('sends no data for %s when debug is false, but still reports to onError', async (kind) => {
    const client = await quiet.open()
    const errors = quiet.errors.length
    const response = await client.call('fail', [kind], 33)
    expect(response).toEqual({ jsonrpc: '2.0', id: 33, error: { code: -32603, message: 'Internal error.' } })
    expect(quiet.errors.length).toBe(errors + 1)
  })

  it('answers an HTTP error with its status as the code and its data', async () => {
    const client = await server.open()
    const errors = server.errors.length
    expect(await client.call('fail', ['http'], 34)).toEqual({ jsonrpc: '2.0', id: 34, error: { code: 409, message: 'taken', data: { field: 'name' } } })
    expect(server.errors.length).toBe(errors)
  })

  it('keeps the connection usable after errors', async () => {
    const client = await server.open()
    await client.call('fail', ['boom'])
    await client.call('fail', ['http'])
    expect(await client.call('getUserData', ['after'])).toMatchObject({ result: { id: 'after' } })
  })
})

describe('batches', () => {
  it('answers the requests of a batch in one array frame, without the notifications', async () => {
    const client = await server.open()
    client.send([request(3, 'getUserData', ['1']), notification('logEvent', ['in-batch', null]), request(4, 'nope')])
    const frame = await client.waitFor(Array.isArray, 1000)
    expect(frame).toHaveLength(2)
    expect(frame).toEqual(
      expect.arrayContaining([
        { jsonrpc: '2.0', id: 3, result: { id: '1', name: 'user 1' } },
        { jsonrpc: '2.0', id: 4, error: { code: -32601, message: 'Method not found: "nope".' } },
      ]),
    )
    expect(events).toContainEqual({ event: 'in-batch', data: null })
    await expectNothingMore(client)
    expect(client.messages).toEqual([frame])
  })

  it('waits for every request of a batch before sending the array', async () => {
    const client = await server.open()
    client.send([request('fast', 'getUserData', ['1']), request('slower', 'slow', [60])])
    const frame = await client.waitFor(() => true, 1000)
    expect(Array.isArray(frame)).toBe(true)
    expect(frame.map((response: any) => response.id).sort()).toEqual(['fast', 'slower'])
  })

  it('answers invalid members of a batch inside the array', async () => {
    const client = await server.open()
    client.send([5, { jsonrpc: '2.0', id: 40, method: 'getUserData', params: [1] }, request(41, '$/ping')])
    const frame = await client.waitFor(Array.isArray, 1000)
    expect(frame).toEqual(
      expect.arrayContaining([
        { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request: a message must be a JSON object (or an array of them).' } },
        { jsonrpc: '2.0', id: 40, error: { code: -32602, message: 'Invalid params: /0 must be string.', data: { path: '/0', value: 1 } } },
        { jsonrpc: '2.0', id: 41, result: 'pong' },
      ]),
    )
    expect(frame).toHaveLength(3)
  })

  it('sends no frame for a batch of only notifications', async () => {
    const client = await server.open()
    client.send([notification('logEvent', ['only-notes', 1]), notification('logEvent', ['only-notes', 2])])
    await vi.waitFor(() => expect(events.filter((event) => event.event === 'only-notes')).toHaveLength(2), { timeout: 1000, interval: 5 })
    await expectNothing(client, () => true)
  })

  it('answers a subscription in a batch outside the array: separate $/next frames and terminal response', async () => {
    const client = await server.open()
    client.send([request('batch-sub', 'subscribeToUpdates', ['b', 2]), request('batch-get', 'getUserData', ['1'])])
    const terminal = await client.waitFor((message) => !Array.isArray(message) && answerOf('batch-sub')(message), 1000)
    expect(terminal).toEqual({ jsonrpc: '2.0', id: 'batch-sub', result: 'done' })
    const frame = await client.waitFor(Array.isArray, 1000)
    expect(frame).toEqual([{ jsonrpc: '2.0', id: 'batch-get', result: { id: '1', name: 'user 1' } }])
    const items = client.messages.filter(nextOf('batch-sub'))
    expect(items.map((item: any) => item.params.value.data)).toEqual(['b 0', 'b 1'])
    expect(client.messages.indexOf(items[1])).toBeLessThan(client.messages.indexOf(terminal))
  })

  it('answers the other requests of a batch without waiting for an endless subscription in it', async () => {
    const client = await server.open()
    client.send([request('endless', 'subscribeToUpdates', ['e']), request('beside', 'getUserData', ['1'])])
    try {
      const frame = await client.waitFor(Array.isArray, 1000)
      expect(frame).toEqual([{ jsonrpc: '2.0', id: 'beside', result: { id: '1', name: 'user 1' } }])
    } finally {
      client.send(notification('$/cancel', { id: 'endless' }))
    }
    expect(await client.waitFor(answerOf('endless'), 1000)).toEqual({ jsonrpc: '2.0', id: 'endless', error: { code: -32800, message: 'Request cancelled.' } })
  })
})
