// Middleware on WebSocket routes (docs/middleware.md, docs/decisions.md): each chain runs against
// the upgrade request at most once per connection, its outcome (failure included) is cached, and
// a failing chain fails only its own routes.
import { describe, expect, it } from 'vitest'
import { route, type ServerManifest, type WsContext } from 'wirerpc/service'
import { chainRuns } from './routes.js'
import { expectNothingMore, startWsServer } from './protocol-harness.js'

// A second chain, defined here, that counts its attempts (failed ones included).
const gate = { attempts: 0 }
const gated = route.use(async (ctx) => {
  gate.attempts++
  const key = ctx.request.headers.get('x-gate')
  if (key === 'response') return Response.json({ message: 'Gate closed by a Response.' }, { status: 403 })
  if (key === 'crash') throw new Error('gate crashed')
  if (key !== 'open') return Response.json({ message: 'Send "x-gate: open".' }, { status: 401 })
  return { define: { attempt: gate.attempts, path: new URL(ctx.request.url).pathname } }
})
const gateA = gated.ws(async (ctx: WsContext & { attempt: number; path: string }) => ({ route: 'a', attempt: ctx.attempt, path: ctx.path }))
const gateB = gated.ws(async (ctx: WsContext & { attempt: number }) => ({ route: 'b', attempt: ctx.attempt }))
const extra: ServerManifest = [
  { protocol: 'ws', name: 'gateA', pattern: 'r', paramsSchema: { type: 'array', prefixItems: [], items: false, maxItems: 0 }, import: async () => gateA },
  { protocol: 'ws', name: 'gateB', pattern: 'r', paramsSchema: { type: 'array', prefixItems: [], items: false, maxItems: 0 }, import: async () => gateB },
]

const server = await startWsServer({ prefix: '/api' }, extra)
const authorized = { headers: { authorization: 'Bearer good' } }

describe('middleware on WebSocket routes', () => {
  it('passes what the middleware defines to the handler when the upgrade carries the right header', async () => {
    const client = await server.open(authorized)
    const response = await client.call('me', [], 1)
    expect(response).toEqual({ jsonrpc: '2.0', id: 1, result: { user: 'ada', chainRuns: expect.any(Number) } })
  })

  it('runs the chain once per connection, however many calls use it', async () => {
    const client = await server.open(authorized)
    const first = (await client.call('me')).result
    expect(chainRuns.count).toBe(first.chainRuns)
    for (let i = 0; i < 3; i++) expect((await client.call('me')).result).toEqual(first)
    expect(chainRuns.count).toBe(first.chainRuns)

    const other = await server.open(authorized)
    expect((await other.call('me')).result).toEqual({ user: 'ada', chainRuns: first.chainRuns + 1 })
    expect((await client.call('me')).result).toEqual(first)
    expect(chainRuns.count).toBe(first.chainRuns + 1)
  })

  it('runs the chain once even when the first calls arrive together', async () => {
    const client = await server.open(authorized)
    const before = chainRuns.count
    const ids = ['m1', 'm2', 'm3', 'm4', 'm5']
    client.send(ids.map((id) => ({ jsonrpc: '2.0', id, method: 'me' })))
    const frame = await client.waitFor(Array.isArray, 1000)
    expect(frame).toHaveLength(5)
    for (const response of frame) expect(response.result).toEqual({ user: 'ada', chainRuns: before + 1 })
    expect(chainRuns.count).toBe(before + 1)
  })

  it('answers 401 with the middleware message without the header, and other routes keep working', async () => {
    const client = await server.open()
    const before = chainRuns.count
    const refused = { code: 401, message: 'Send "authorization: Bearer good" with the upgrade.' }
    expect(await client.call('me', [], 1)).toEqual({ jsonrpc: '2.0', id: 1, error: refused })
    expect(await client.call('getUserData', ['1'], 2)).toEqual({ jsonrpc: '2.0', id: 2, result: { id: '1', name: 'user 1' } })
    expect(await client.call('me', [], 3)).toEqual({ jsonrpc: '2.0', id: 3, error: refused })
    expect(await client.call('$/ping', undefined, 4)).toEqual({ jsonrpc: '2.0', id: 4, result: 'pong' })
    expect(chainRuns.count).toBe(before)
  })

  it('caches a failing chain for the connection: it is attempted once for all its routes', async () => {
    const client = await server.open()
    const before = gate.attempts
    const closed = { code: 401, message: 'Send "x-gate: open".' }
    expect(await client.call('gateA', [], 1)).toEqual({ jsonrpc: '2.0', id: 1, error: closed })
    expect(await client.call('gateB', [], 2)).toEqual({ jsonrpc: '2.0', id: 2, error: closed })
    expect(await client.call('gateA', [], 3)).toEqual({ jsonrpc: '2.0', id: 3, error: closed })
    expect(gate.attempts).toBe(before + 1)
    // The other chain is separate: it runs (and fails) on its own.
    expect(await client.call('me', [], 4)).toMatchObject({ error: { code: 401 } })
  })

  it('shares one run between the routes of a chain and sees the upgrade request', async () => {
    const client = await server.open({ headers: { 'x-gate': 'open' } })
    const a = await client.call('gateA', [], 1)
    const b = await client.call('gateB', [], 2)
    expect(a).toEqual({ jsonrpc: '2.0', id: 1, result: { route: 'a', attempt: gate.attempts, path: '/api/ws' } })
    expect(b).toEqual({ jsonrpc: '2.0', id: 2, result: { route: 'b', attempt: gate.attempts } })
  })

  it('answers a Response returned by middleware with its status and body message', async () => {
    const client = await server.open({ headers: { 'x-gate': 'response' } })
    expect(await client.call('gateA', [], 1)).toEqual({ jsonrpc: '2.0', id: 1, error: { code: 403, message: 'Gate closed by a Response.' } })
  })

  it('answers a middleware that throws a plain Error with -32603', async () => {
    const client = await server.open({ headers: { 'x-gate': 'crash' } })
    const errors = server.errors.length
    expect(await client.call('gateB', [], 1)).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32603, message: 'Internal error.', data: { message: 'gate crashed', stack: expect.stringContaining('gate crashed') } },
    })
    expect(server.errors.slice(errors)).toEqual([expect.objectContaining({ message: 'gate crashed' })])
    expect(await client.call('getUserData', ['1'])).toMatchObject({ result: { id: '1' } })
  })

  it('does not answer a notification whose chain fails', async () => {
    const client = await server.open()
    client.send({ jsonrpc: '2.0', method: 'me' })
    client.send({ jsonrpc: '2.0', method: 'gateA' })
    await expectNothingMore(client, () => true, 150)
    expect(client.messages).toEqual([])
  })
})
