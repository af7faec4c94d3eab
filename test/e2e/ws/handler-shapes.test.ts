// What a request handler may return, over a real socket: a plain value or a synchronous throw
// (answered in the turn the frame arrived), a promise, or a thenable that is not a native promise;
// its defers run after the answer, however it ended (src/service/ws/connection.ts, `invoke`).
import { describe, expect, it } from 'vitest'
import { HttpError, route, type ServerManifest, type WsContext } from 'wirerpc/service'
import { startWsServer } from './protocol-harness.js'

const deferred: string[] = []
const syncValue = route.ws((n: number) => ({ doubled: n * 2 }))
const syncThrow = route.ws((kind: string): number => {
  if (kind === 'http') throw new HttpError(409, { message: 'Taken: pick another name.' })
  throw new Error('plain failure')
})
const thenable = route.ws((n: number) => ({
  then(resolve: (value: number) => void, reject: (error: Error) => void) {
    setTimeout(() => (n < 0 ? reject(new HttpError(400, { message: 'Negative.' })) : resolve(n + 1)), 5)
  },
}))
const withDefer = route.ws((label: string, ctx: WsContext) => {
  ctx.defer(() => void deferred.push(`${label}: defer`))
  deferred.push(`${label}: handler`)
  if (label === 'throws') throw new Error('after defer')
  return label
})

const numberTuple = { type: 'array', prefixItems: [{ type: 'number' }], items: false, minItems: 1, maxItems: 1 }
const stringTuple = { type: 'array', prefixItems: [{ type: 'string' }], items: false, minItems: 1, maxItems: 1 }
const extra: ServerManifest = [
  { protocol: 'ws', name: 'syncValue', pattern: 'r', paramsSchema: numberTuple, import: async () => syncValue },
  { protocol: 'ws', name: 'syncThrow', pattern: 'r', paramsSchema: stringTuple, import: async () => syncThrow },
  { protocol: 'ws', name: 'thenable', pattern: 'r', paramsSchema: numberTuple, import: async () => thenable },
  { protocol: 'ws', name: 'withDefer', pattern: 'r', paramsSchema: stringTuple, import: async () => withDefer },
]

const server = await startWsServer({}, extra)

describe('request handlers of every shape', () => {
  it('answers a plain value and a synchronous throw, on the first call (route loading) and after', async () => {
    const client = await server.open()
    for (let i = 0; i < 2; i++) {
      expect(await client.call('syncValue', [21])).toMatchObject({ result: { doubled: 42 } })
      expect((await client.call('syncThrow', ['http'])).error).toEqual({ code: 409, message: 'Taken: pick another name.' })
      expect((await client.call('syncThrow', ['plain'])).error).toMatchObject({ code: -32603, message: expect.stringMatching(/^Internal error/) })
    }
    expect(server.errors.some((error) => (error as Error).message === 'plain failure')).toBe(true)
  })

  it('answers a thenable that is not a promise, resolved or rejected', async () => {
    const client = await server.open()
    expect((await client.call('thenable', [1])).result).toBe(2)
    expect((await client.call('thenable', [-1])).error).toEqual({ code: 400, message: 'Negative.' })
  })

  it('runs defers after the handler, once the call ended, whether it returned or threw', async () => {
    const client = await server.open()
    deferred.length = 0
    expect((await client.call('withDefer', ['ok'])).result).toBe('ok')
    expect((await client.call('withDefer', ['throws'])).error).toMatchObject({ code: -32603 })
    await expect.poll(() => deferred.length).toBe(4)
    expect(deferred).toEqual(['ok: handler', 'ok: defer', 'throws: handler', 'throws: defer'])
  })

  it('answers a batch of every shape in one array, in order, and keeps serving', async () => {
    const client = await server.open()
    client.send([
      { jsonrpc: '2.0', id: 'v', method: 'syncValue', params: [1] },
      { jsonrpc: '2.0', id: 't', method: 'thenable', params: [1] },
      { jsonrpc: '2.0', id: 'x', method: 'syncThrow', params: ['http'] },
      { jsonrpc: '2.0', id: 'd', method: 'withDefer', params: ['batched'] },
      { jsonrpc: '2.0', id: 'g', method: 'getUserData', params: ['7'] },
    ])
    const batch = await client.waitFor(Array.isArray)
    expect(batch).toEqual([
      { jsonrpc: '2.0', id: 'v', result: { doubled: 2 } },
      { jsonrpc: '2.0', id: 't', result: 2 },
      { jsonrpc: '2.0', id: 'x', error: { code: 409, message: 'Taken: pick another name.' } },
      { jsonrpc: '2.0', id: 'd', result: 'batched' },
      { jsonrpc: '2.0', id: 'g', result: { id: '7', name: 'user 7' } },
    ])
    // A batch waits for its calls' defers before it answers.
    expect(deferred).toContain('batched: defer')
    expect((await client.call('syncValue', [5])).result).toEqual({ doubled: 10 })
  })
})
