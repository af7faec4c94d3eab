// Input that must not slip through the engine: prototype-polluting params, results that are not
// JSON, and notification floods.
import { afterAll, describe, expect, it } from 'vitest'
import { serve } from 'wirerpc/node'
import { connect } from './helpers.js'
import manifest from './manifest.js'
import { events, state } from './routes.js'

const errors: unknown[] = []
const server = await serve(manifest, { port: 0, onError: (error) => errors.push(error), maxInFlight: 3 })
afterAll(() => server.close())
const url = `${server.url.replace('http', 'ws')}ws`

describe('hardening', () => {
  it('refuses params holding a prototype-polluting key with -32602 and its path', async () => {
    const client = await connect(url)
    const before = events.length
    const response = await client.call('logEvent', ['x', JSON.parse('{"nested":{"__proto__":{"admin":true}}}')])
    expect(response['error']).toEqual({ code: -32602, message: expect.stringMatching(/^Invalid params: forbidden key at \/1\/nested\/__proto__/), data: { path: '/1/nested/__proto__' } })
    expect(events.length).toBe(before)
    expect((await client.call('getUserData', ['1']))['result']).toEqual({ id: '1', name: 'user 1' })
    await client.close()
  })

  it('names a polluting key under a closed schema too (where the check alone would refuse it)', async () => {
    const client = await connect(url)
    // getUserData takes one string: the schema is closed, so the engine scans only when the check fails.
    for (const [params, path] of [
      [[JSON.parse('{"__proto__":{"admin":true}}')], '/0/__proto__'],
      [['1', JSON.parse('{"constructor":{"prototype":{"admin":true}}}')], '/1/constructor'],
    ] as const) {
      const response = await client.call('getUserData', params as unknown as unknown[])
      expect(response['error']).toEqual({ code: -32602, message: expect.stringMatching(/^Invalid params: forbidden key at /), data: { path } })
    }
    expect((await client.call('getUserData', ['3']))['result']).toEqual({ id: '3', name: 'user 3' })
    await client.close()
  })

  it('answers a result that is not JSON with -32603, inside a batch too', async () => {
    const client = await connect(url)
    expect((await client.call('unserializable'))['error']).toMatchObject({ code: -32603, message: expect.stringMatching(/cannot be sent as JSON/) })
    client.send([
      { jsonrpc: '2.0', id: 'u', method: 'unserializable' },
      { jsonrpc: '2.0', id: 'g', method: 'getUserData', params: ['2'] },
    ])
    const batch = await client.waitFor((message) => Array.isArray(message))
    expect(batch).toEqual([
      { jsonrpc: '2.0', id: 'u', error: { code: -32603, message: expect.stringMatching(/cannot be sent as JSON/) } },
      { jsonrpc: '2.0', id: 'g', result: { id: '2', name: 'user 2' } },
    ])
    await client.close()
  })

  it('counts notifications against maxInFlight and drops the ones over it', async () => {
    const client = await connect(url)
    const before = state.deferred
    for (let i = 0; i < 10; i++) client.send({ jsonrpc: '2.0', method: 'slow', params: [200] })
    // The three that ran finish (their defer runs); the seven over the limit never started.
    await expect.poll(() => state.deferred, { timeout: 3000 }).toBe(before + 3)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(state.deferred).toBe(before + 3)
    expect((await client.call('getUserData', ['3']))['result']).toEqual({ id: '3', name: 'user 3' })
    await client.close()
  })
})

describe('resources', () => {
  it('leaves no timer or socket behind when connections with calls in flight close', async () => {
    const separate = await serve(manifest, { port: 0, onError: () => {} })
    const target = `${separate.url.replace('http', 'ws')}ws`
    const count = () => {
      const active = process.getActiveResourcesInfo()
      return { timers: active.filter((kind) => kind === 'Timeout').length, sockets: active.filter((kind) => kind.includes('TCP')).length }
    }
    // Warm up once so that lazily created resources exist in the baseline.
    const warm = await connect(target)
    await warm.call('getUserData', ['w'])
    await warm.close()
    await new Promise((resolve) => setTimeout(resolve, 100))
    const baseline = count()
    const before = state.finallyRan
    for (let round = 0; round < 20; round++) {
      const client = await connect(target)
      client.send({ jsonrpc: '2.0', id: 's', method: 'subscribeToUpdates', params: ['t'] })
      client.send({ jsonrpc: '2.0', id: 'r', method: 'slow', params: [5_000] })
      await client.waitFor((message) => message.method === '$/next')
      await client.close()
    }
    await expect.poll(() => state.finallyRan, { timeout: 3000 }).toBe(before + 20)
    await expect.poll(count, { timeout: 3000 }).toEqual(baseline)
    await separate.close()
  })
})
