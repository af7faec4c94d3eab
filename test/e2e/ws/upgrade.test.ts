// The upgrade to `<prefix>/ws` (docs/protocol.md, "Communication"): the path, the Origin check,
// the `authorize` hook, each refusing with an HTTP status before the 101; and the HTTP routes
// served by the same server.
import { describe, expect, it } from 'vitest'
import { UnauthorizedError } from 'wirerpc/service'
import { chainRuns } from './routes.js'
import { answerOf, nextOf, startWsServer, tryUpgrade } from './protocol-harness.js'

const seen: Request[] = []
const guarded = await startWsServer({
  prefix: '/api',
  authorize(request) {
    seen.push(request)
    const verdict = request.headers.get('x-verdict')
    if (verdict === 'deny') return false
    if (verdict === 'throw') throw new UnauthorizedError('Send a valid token.')
    if (verdict === 'response') return new Response('Come back later.', { status: 418 })
    if (verdict === 'true') return true
    return undefined
  },
})
const listed = await startWsServer({ allowedOrigins: ['https://app.example'] })

const json = (body: string): unknown => JSON.parse(body)

describe('the upgrade path', () => {
  it('accepts <prefix>/ws', async () => {
    expect(guarded.wsUrl).toBe(`ws://127.0.0.1:${guarded.server.port}/api/ws`)
    const client = await guarded.open()
    expect(await client.call('$/ping', undefined, 1)).toEqual({ jsonrpc: '2.0', id: 1, result: 'pong' })
  })

  it.each(['/api/nope', '/ws', '/api/ws/more', '/api/'])('refuses an upgrade at %s with 404', async (path) => {
    const calls = seen.length
    const outcome = await tryUpgrade(`ws://127.0.0.1:${guarded.server.port}${path}`)
    expect(outcome.status).toBe(404)
    expect(json(outcome.body)).toEqual({ message: expect.stringContaining('/api/ws') })
    expect(seen.length).toBe(calls)
  })
})

describe('authorize', () => {
  it('accepts the upgrade when it returns nothing, and sees the upgrade request', async () => {
    const client = await guarded.open({ headers: { 'x-token': 'abc' } })
    expect(await client.call('getUserData', ['1'], 1)).toEqual({ jsonrpc: '2.0', id: 1, result: { id: '1', name: 'user 1' } })
    const request = seen.at(-1)!
    expect(new URL(request.url).pathname).toBe('/api/ws')
    expect(request.headers.get('x-token')).toBe('abc')
  })

  it('accepts the upgrade when it returns true', async () => {
    const client = await guarded.open({ headers: { 'x-verdict': 'true' } })
    expect(await client.call('$/ping')).toMatchObject({ result: 'pong' })
  })

  it('refuses with 403 before the 101 when it returns false', async () => {
    const outcome = await tryUpgrade(guarded.wsUrl, { headers: { 'x-verdict': 'deny' } })
    expect(outcome).toEqual({ status: 403, body: JSON.stringify({ message: 'Forbidden: the server refused this WebSocket connection.' }) })
  })

  it('refuses with 401 and the JSON message when it throws UnauthorizedError', async () => {
    const outcome = await tryUpgrade(guarded.wsUrl, { headers: { 'x-verdict': 'throw' } })
    expect(outcome.status).toBe(401)
    expect(json(outcome.body)).toEqual({ message: 'Send a valid token.' })
  })

  it('refuses with the status and body of a Response it returns', async () => {
    expect(await tryUpgrade(guarded.wsUrl, { headers: { 'x-verdict': 'response' } })).toEqual({ status: 418, body: 'Come back later.' })
  })

  it('makes the `ws` client report the refusal status when it has no unexpected-response listener', async () => {
    const { WebSocket } = await import('ws')
    const socket = new WebSocket(guarded.wsUrl, { headers: { 'x-verdict': 'deny' } })
    const error = await new Promise<Error>((resolve) => socket.once('error', resolve))
    expect(error.message).toBe('Unexpected server response: 403')
  }, 3000)
})

describe('origins', () => {
  it('refuses a cross-site origin with 403 before authorize or any middleware runs', async () => {
    const calls = seen.length
    const runs = chainRuns.count
    const outcome = await tryUpgrade(guarded.wsUrl, { origin: 'https://evil.example', headers: { authorization: 'Bearer good' } })
    expect(outcome.status).toBe(403)
    expect(json(outcome.body)).toEqual({ message: 'Origin https://evil.example may not open a WebSocket here; add it to allowedOrigins on the server.' })
    expect(seen.length).toBe(calls)
    expect(chainRuns.count).toBe(runs)
  })

  it('refuses the same host on another port, and an origin that is not a URL', async () => {
    expect((await tryUpgrade(guarded.wsUrl, { origin: `http://127.0.0.1:${guarded.server.port + 1}` })).status).toBe(403)
    expect((await tryUpgrade(guarded.wsUrl, { origin: 'null' })).status).toBe(403)
  })

  it('accepts the same origin', async () => {
    const client = await guarded.open({ origin: `http://127.0.0.1:${guarded.server.port}`, headers: { authorization: 'Bearer good' } })
    expect(await client.call('me', [], 1)).toMatchObject({ id: 1, result: { user: 'ada' } })
  })

  it('accepts an upgrade without an Origin header', async () => {
    const client = await guarded.open()
    expect(await client.call('$/ping')).toMatchObject({ result: 'pong' })
  })

  it('accepts an origin of allowedOrigins and refuses the others', async () => {
    const client = await listed.open({ origin: 'https://app.example' })
    expect(await client.call('$/ping')).toMatchObject({ result: 'pong' })
    for (const origin of ['https://evil.example', 'http://app.example', 'https://app.example:8443', 'https://sub.app.example']) {
      expect((await tryUpgrade(listed.wsUrl, { origin })).status, origin).toBe(403)
    }
    const noOrigin = await listed.open()
    expect(await noOrigin.call('$/ping')).toMatchObject({ result: 'pong' })
  })
})

describe('HTTP next to WebSocket', () => {
  it('keeps serving HTTP routes on the same port while a subscription runs', async () => {
    const client = await guarded.open()
    client.send({ jsonrpc: '2.0', id: 'live', method: 'subscribeToUpdates', params: ['live'] })
    await client.waitFor(nextOf('live'), 1000)
    const response = await fetch(`${guarded.server.url}health`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ ok: true })
    client.send({ jsonrpc: '2.0', method: '$/cancel', params: { id: 'live' } })
    expect(await client.waitFor(answerOf('live'), 1000)).toMatchObject({ error: { code: -32800 } })
  })

  it('serves HTTP routes after refused upgrades', async () => {
    await tryUpgrade(guarded.wsUrl, { headers: { 'x-verdict': 'deny' } })
    await tryUpgrade(`ws://127.0.0.1:${guarded.server.port}/nope`)
    const response = await fetch(`${listed.server.url}health`)
    expect(await response.json()).toEqual({ ok: true })
    expect((await fetch(`${guarded.server.url}health`)).status).toBe(200)
  })
})
