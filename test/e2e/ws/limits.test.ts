// The WebSocket limits of docs/protocol.md ("Limits"), over real sockets to a real serve(): each
// limit is hit, answered as documented, and the server (and the other connections) carry on.
import { once } from 'node:events'
import { connect as tcpConnect } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { RunningServer } from 'wirerpc/node'
import { WebSocket, type ClientOptions } from 'ws'
import { startServer } from '../helpers.js'
import { connect, type RawClient } from './helpers.js'
import manifest from './manifest.js'
import { events, held } from './routes.js'

const wsUrl = (server: RunningServer) => `ws://127.0.0.1:${server.port}/ws`

/** Resolves once `predicate()` holds, polling every `step` ms; rejects after `timeout` ms. */
async function until(predicate: () => boolean, timeout = 3000, step = 10): Promise<void> {
  const end = Date.now() + timeout
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`Condition not met within ${timeout} ms: ${predicate.toString()}`)
    await new Promise((resolve) => setTimeout(resolve, step))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Attempt {
  /** 101 when the upgrade succeeded, else the HTTP status of the refusal. */
  status: number
  body: string
  headers: Record<string, string | string[] | undefined>
  socket: WebSocket
}

/** Tries to open a WebSocket; resolves with the refusal's status and body, or 101 and the open socket. */
function attempt(url: string, options: ClientOptions = {}): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options)
    let headers: Attempt['headers'] = {}
    socket.once('upgrade', (response) => (headers = response.headers))
    socket.once('open', () => resolve({ status: 101, body: '', headers, socket }))
    socket.once('unexpected-response', (request, response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => {
        request.destroy()
        resolve({ status: response.statusCode ?? 0, body, headers: response.headers, socket })
      })
    })
    socket.on('error', reject)
  })
}

/** Resolves with the close code and reason of `socket`, and how long (ms) after the call it closed. */
async function closeOf(socket: WebSocket): Promise<{ code: number; reason: string; after: number }> {
  const start = Date.now()
  if (socket.readyState === WebSocket.CLOSED) return { code: -1, reason: 'already closed', after: 0 }
  const [code, reason] = (await once(socket, 'close')) as [number, Buffer]
  return { code, reason: reason.toString(), after: Date.now() - start }
}

const UPGRADE_HEADERS = ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13']

/**
 * A raw TCP client that writes `text` (an upgrade request, complete or not) and never does
 * anything else. Resolves when the server closes the socket, with what it received and when.
 */
function rawUpgrade(port: number, text: string): Promise<{ data: string; after: number }> {
  return new Promise((resolve, reject) => {
    const start = Date.now()
    const socket = tcpConnect(port, '127.0.0.1', () => socket.write(text))
    let data = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (data += chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve({ data, after: Date.now() - start }))
    // Bounded: a socket the server never cuts is reported as such, not waited on forever.
    setTimeout(() => {
      socket.destroy()
      resolve({ data, after: Infinity })
    }, 5000).unref()
  })
}

function upgradeRequest(port: number, extra: string[] = []): string {
  return [`GET /ws HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...UPGRADE_HEADERS, ...extra, '', ''].join('\r\n')
}

/** A JSON-RPC request for getUserData padded to exactly `bytes` bytes (UTF-8), using `fill` characters. */
function requestOfSize(bytes: number, id: string, fill = 'x'): string {
  const request = (userId: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'getUserData', params: [userId] })
  const text = request(fill.repeat(Math.floor((bytes - Buffer.byteLength(request(''))) / Buffer.byteLength(fill))))
  // Whitespace after the JSON value makes up the last bytes.
  const padded = text + ' '.repeat(bytes - Buffer.byteLength(text))
  expect(Buffer.byteLength(padded)).toBe(bytes)
  return padded
}

describe('maxConnections', async () => {
  const server = await startServer(manifest, { maxConnections: 3 })

  it('refuses the upgrade over the limit with 503, and accepts again once a connection closes', async () => {
    const clients = await Promise.all([connect(wsUrl(server)), connect(wsUrl(server)), connect(wsUrl(server))])
    const fourth = await attempt(wsUrl(server))
    expect(fourth.status).toBe(503)
    expect(JSON.parse(fourth.body).message).toMatch(/maxConnections 3/)
    // Refused upgrades take no slot: a fifth is refused too, and the three open ones still work.
    expect((await attempt(wsUrl(server))).status).toBe(503)
    for (const [i, client] of clients.entries()) expect((await client.call('getUserData', [`${i}`])).result).toEqual({ id: `${i}`, name: `user ${i}` })

    await clients[0]!.close()
    // The server notices the close asynchronously: a new upgrade is accepted once it has.
    let next: Attempt | undefined
    for (let i = 0; i < 50 && next?.status !== 101; i++) {
      if (i > 0) await sleep(20)
      next = await attempt(wsUrl(server))
    }
    expect(next?.status).toBe(101)
    const replacement = next!.socket
    // ... and exactly one: the server is full again.
    expect((await attempt(wsUrl(server))).status).toBe(503)
    replacement.close()
    await closeOf(replacement)
    await Promise.all(clients.slice(1).map((client) => client.close()))
  })
})

describe('maxMessageSize', async () => {
  const server = await startServer(manifest, { maxMessageSize: 1000 })

  it('processes a message of exactly maxMessageSize bytes', async () => {
    const client = await connect(wsUrl(server))
    const text = requestOfSize(1000, 'exact')
    client.sendText(text)
    const response = await client.waitFor((message) => message.id === 'exact')
    expect(response.result.id).toMatch(/^x+$/)
    // Bytes, not characters: 1000 bytes of two-byte characters pass too.
    client.sendText(requestOfSize(1000, 'exact-utf8', 'é'))
    expect((await client.waitFor((message) => message.id === 'exact-utf8')).result.id).toMatch(/^é+$/)
    await client.close()
  })

  it('closes the connection with 1009 on maxMessageSize + 1 bytes; other connections are unaffected', async () => {
    const other = await connect(wsUrl(server))
    const client = await connect(wsUrl(server))
    const closed = closeOf(client.socket)
    client.sendText(requestOfSize(1001, 'over'))
    expect((await closed).code).toBe(1009)
    expect(client.messages.some((message: any) => message.id === 'over')).toBe(false)
    expect((await other.call('getUserData', ['still here'])).result).toEqual({ id: 'still here', name: 'user still here' })
    // Multi-byte characters count as their bytes: 1001 bytes of 'é' close too.
    const utf8 = await connect(wsUrl(server))
    const utf8Closed = closeOf(utf8.socket)
    utf8.sendText(requestOfSize(1001, 'over-utf8', 'é'))
    expect((await utf8Closed).code).toBe(1009)
    // New connections are still accepted.
    const fresh = await connect(wsUrl(server))
    expect((await fresh.call('$/ping')).result).toBe('pong')
    await Promise.all([other.close(), fresh.close()])
  })

  it('counts a message sent in fragments as a whole', async () => {
    const client = await connect(wsUrl(server))
    const closed = closeOf(client.socket)
    // Two continuation frames of 600 bytes: each under the limit, the message over it.
    client.socket.send('x'.repeat(600), { fin: false })
    client.socket.send('x'.repeat(600), { fin: true })
    expect((await closed).code).toBe(1009)
  })
})

describe('maxDepth (64 levels of JSON nesting)', async () => {
  const server = await startServer(manifest)
  const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels)
  /** A logEvent request whose whole frame is nested `levels` deep (the envelope and params take two). */
  const deepRequest = (id: string, levels: number) => `{"jsonrpc":"2.0","id":"${id}","method":"logEvent","params":["deep-${id}",${nested(levels - 2)}]}`

  it('accepts a frame nested exactly 64 levels', async () => {
    const client = await connect(wsUrl(server))
    client.sendText(deepRequest('d64', 64))
    expect(await client.waitFor((message) => message.id === 'd64')).toEqual({ jsonrpc: '2.0', id: 'd64', result: null })
    const logged = events.find((event) => event.event === 'deep-d64')
    expect(logged?.data).toEqual(JSON.parse(nested(62)))
    await client.close()
  })

  it('answers -32600 to 65 levels, and the connection stays open', async () => {
    const client = await connect(wsUrl(server))
    client.sendText(deepRequest('d65', 65))
    const response = await client.waitFor((message) => message.id === null && 'error' in message)
    expect(response.error.code).toBe(-32600)
    expect(response.error.message).toMatch(/maxDepth/)
    expect(events.some((event) => event.event === 'deep-d65')).toBe(false)
    // Objects count like arrays.
    client.sendText(`{"jsonrpc":"2.0","id":"o","method":"logEvent","params":["deep-obj",${'{"a":'.repeat(63)}1${'}'.repeat(63)}]}`)
    await until(() => client.messages.length === 2)
    expect(client.messages.filter((m: any) => m.id === null && m.error?.code === -32600)).toHaveLength(2)
    expect(client.socket.readyState).toBe(WebSocket.OPEN)
    expect((await client.call('getUserData', ['after'])).result).toEqual({ id: 'after', name: 'user after' })
    await client.close()
  })

  it('answers -32600 to 100,000 levels quickly, without parsing them', async () => {
    const client = await connect(wsUrl(server))
    for (const frame of [nested(100_000), '['.repeat(100_000), `{"jsonrpc":"2.0","id":1,"method":"logEvent","params":["x",${nested(100_000)}]}`]) {
      const before = client.messages.length
      const start = performance.now()
      client.sendText(frame)
      const response = await client.waitFor((message) => client.messages.indexOf(message) >= before)
      const elapsed = performance.now() - start
      expect(response).toMatchObject({ id: null, error: { code: -32600 } })
      expect(elapsed).toBeLessThan(500)
    }
    expect((await client.call('$/ping')).result).toBe('pong')
    await client.close()
  })

  it('does not count brackets inside strings', async () => {
    const client = await connect(wsUrl(server))
    const tricky = `${'['.repeat(100)}\\"${'{'.repeat(100)}\\\\`
    client.send({ jsonrpc: '2.0', id: 'strings', method: 'getUserData', params: [tricky] })
    expect((await client.waitFor((message) => message.id === 'strings')).result.id).toBe(tricky)
    await client.close()
  })
})

describe('maxInFlight and maxSubscriptions (100 per connection)', async () => {
  const server = await startServer(manifest)

  it('answers the 101st concurrent request with 429; the 100 others are answered normally', async () => {
    const client = await connect(wsUrl(server))
    const other = await connect(wsUrl(server))
    for (let i = 0; i <= 100; i++) client.send({ jsonrpc: '2.0', id: `f${i}`, method: 'slow', params: [300] })
    // While this connection is full, another one is served as usual.
    expect((await other.call('getUserData', ['other'])).result).toEqual({ id: 'other', name: 'user other' })
    await until(() => client.messages.length >= 101, 5000)
    const refused = client.messages.filter((message: any) => message.error)
    expect(refused).toEqual([{ jsonrpc: '2.0', id: 'f100', error: { code: 429, message: expect.stringMatching(/maxInFlight/) } }])
    const answered = client.messages.filter((message: any) => 'result' in message)
    expect(answered).toHaveLength(100)
    expect(answered.every((message: any) => message.result === 300)).toBe(true)
    expect(new Set(answered.map((message: any) => message.id)).size).toBe(100)
    // Once answered, the budget is free again.
    expect((await client.call('slow', [1])).result).toBe(1)
    await Promise.all([client.close(), other.close()])
  })

  it('answers the 101st subscription with 429; requests still run; cancelling one makes room', async () => {
    const client = await connect(wsUrl(server))
    const ready = () => client.messages.filter((message: any) => message.method === '$/next' && message.params.value === 'ready').length
    for (let i = 0; i < 100; i++) client.send({ jsonrpc: '2.0', id: `s${i}`, method: 'waitForCancel' })
    await until(() => ready() === 100, 5000)
    const refused = await client.call('waitForCancel', undefined, 's100')
    expect(refused).toEqual({ jsonrpc: '2.0', id: 's100', error: { code: 429, message: expect.stringMatching(/maxSubscriptions/) } })
    // Subscriptions do not use the requests' budget.
    expect((await client.call('getUserData', ['with 100 subscriptions'])).result.id).toBe('with 100 subscriptions')
    client.send({ jsonrpc: '2.0', method: '$/cancel', params: { id: 's0' } })
    expect(await client.waitFor((message) => message.id === 's0')).toMatchObject({ error: { code: -32800 } })
    // The client was told s0 ended: a new subscription is accepted.
    client.send({ jsonrpc: '2.0', id: 's101', method: 'waitForCancel' })
    const again = await client.waitFor((message) => message.params?.id === 's101' || message.id === 's101')
    expect(again).toMatchObject({ method: '$/next', params: { id: 's101', value: 'ready' } })
    await client.close()
    // Closing the connection stops every generator.
    await until(() => held.open === 0)
  })
})

describe('maxBatchSize (50 messages)', async () => {
  const server = await startServer(manifest)
  const batch = (marker: string, size: number) => Array.from({ length: size }, (_, i) => ({ jsonrpc: '2.0', id: `${marker}-${i}`, method: 'logEvent', params: [marker, i] }))

  it('answers a batch of 51 with one -32600 and runs none of it', async () => {
    const client = await connect(wsUrl(server))
    client.send(batch('batch-51', 51))
    const response = await client.waitFor((message) => !Array.isArray(message) && message.id === null)
    expect(response).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringMatching(/maxBatchSize/) } })
    expect((await client.call('$/ping')).result).toBe('pong')
    await sleep(50)
    expect(events.filter((event) => event.event === 'batch-51')).toEqual([])
    expect(client.messages).toHaveLength(2)
    await client.close()
  })

  it('runs a batch of 50 and answers it with one array', async () => {
    const client = await connect(wsUrl(server))
    client.send(batch('batch-50', 50))
    const response = await client.waitFor((message) => Array.isArray(message))
    expect(response).toHaveLength(50)
    expect(new Set(response.map((item: any) => item.id))).toEqual(new Set(batch('batch-50', 50).map((message) => message.id)))
    expect(response.every((item: any) => item.result === null)).toBe(true)
    expect(events.filter((event) => event.event === 'batch-50')).toHaveLength(50)
    await client.close()
  })
})

describe('handshakeTimeout', async () => {
  // Upgrades with "x-hang" wait on an authorize hook that never resolves.
  const authorize = (request: Request) => (request.headers.has('x-hang') ? new Promise<void>(() => {}) : undefined)
  const server = await startServer(manifest, { handshakeTimeout: 0.3, authorize })
  const small = await startServer(manifest, { handshakeTimeout: 0.3, authorize, maxConnections: 2 })

  it('cuts an upgrade whose authorize hook never resolves after handshakeTimeout; others still connect', async () => {
    const hung = rawUpgrade(server.port, upgradeRequest(server.port, ['x-hang: 1']))
    const client = await connect(wsUrl(server))
    expect((await client.call('getUserData', ['during'])).result.id).toBe('during')
    const { data, after } = await hung
    expect(data).toBe('')
    expect(after).toBeGreaterThanOrEqual(250)
    expect(after).toBeLessThan(1000)
    expect((await client.call('getUserData', ['after'])).result.id).toBe('after')
    const fresh = await connect(wsUrl(server))
    expect((await fresh.call('$/ping')).result).toBe('pong')
    await Promise.all([client.close(), fresh.close()])
  })

  it('frees the connection slot of a cut upgrade (maxConnections)', async () => {
    const cut = await Promise.all([
      rawUpgrade(small.port, upgradeRequest(small.port, ['x-hang: 1'])),
      rawUpgrade(small.port, upgradeRequest(small.port, ['x-hang: 1'])),
    ])
    for (const { after } of cut) expect(after).toBeLessThan(1000)
    const next = await attempt(wsUrl(small))
    expect(next.status, `upgrade after two cut handshakes: ${next.body}`).toBe(101)
    next.socket.close()
    await closeOf(next.socket)
  })

  it('cuts a client that never finishes sending its upgrade request', async () => {
    // The request line and some headers, never the blank line that ends them (slowloris). The
    // upgrade has begun but never reaches the 'upgrade' event: it must still be cut (or answered
    // 408) about handshakeTimeout after it started, not after Node's headersTimeout (60 s).
    const partial = upgradeRequest(server.port).slice(0, -2)
    const { after } = await rawUpgrade(server.port, partial)
    expect(after).toBeLessThan(1300)
  })
})

describe('compression', async () => {
  const plain = await startServer(manifest)
  const deflating = await startServer(manifest, { compression: true, maxMessageSize: 64 * 1024 })

  it('is off by default: no extension is negotiated', async () => {
    const server = plain
    const result = await attempt(wsUrl(server))
    expect(result.status).toBe(101)
    expect(result.headers['sec-websocket-extensions']).toBeUndefined()
    expect(result.socket.extensions).toBe('')
    result.socket.close()
    await closeOf(result.socket)
  })

  it('negotiates permessage-deflate with compression: true; messages still work, compressed', async () => {
    const server = deflating
    const result = await attempt(wsUrl(server))
    expect(result.status).toBe(101)
    expect(result.headers['sec-websocket-extensions']).toMatch(/permessage-deflate/)
    expect(result.socket.extensions).toMatch(/permessage-deflate/)
    result.socket.close()
    await closeOf(result.socket)

    const client = await connect(wsUrl(server))
    const tcp = (client.socket as unknown as { _socket: { bytesRead: number; bytesWritten: number } })._socket
    const userId = 'z'.repeat(30_000)
    const read = tcp.bytesRead
    const written = tcp.bytesWritten
    expect((await client.call('getUserData', [userId])).result).toEqual({ id: userId, name: `user ${userId}` })
    // 30 kB up and 60 kB down travelled as a few hundred bytes each way.
    expect(tcp.bytesWritten - written).toBeLessThan(2000)
    expect(tcp.bytesRead - read).toBeLessThan(2000)
    // maxMessageSize applies to the inflated message: a 200 kB message that deflates to ~300 bytes closes with 1009.
    const closed = closeOf(client.socket)
    client.sendText(requestOfSize(200_000, 'bomb'))
    expect((await closed).code).toBe(1009)
    const fresh = await connect(wsUrl(server))
    expect((await fresh.call('$/ping')).result).toBe('pong')
    await fresh.close()
  })

  it('compression: true negotiates no context takeover and leaves messages under 1 KiB uncompressed', async () => {
    const result = await attempt(wsUrl(deflating))
    expect(result.headers['sec-websocket-extensions']).toMatch(/server_no_context_takeover/)
    expect(result.headers['sec-websocket-extensions']).toMatch(/client_no_context_takeover/)
    result.socket.close()
    await closeOf(result.socket)
    const client = await connect(wsUrl(deflating))
    // The first byte of each frame from the server: 0x81 a text frame, 0xC1 one with RSV1 (compressed).
    const firstBytes: number[] = []
    ;(client.socket as unknown as { _socket: NodeJS.EventEmitter })._socket.on('data', (chunk: Buffer) => firstBytes.push(chunk[0]!))
    expect((await client.call('getUserData', ['small'])).result).toEqual({ id: 'small', name: 'user small' })
    expect(firstBytes).toEqual([0x81])
    const big = 'b'.repeat(2000)
    expect((await client.call('getUserData', [big])).result).toEqual({ id: big, name: `user ${big}` })
    expect(firstBytes.at(-1)).toBe(0xc1)
    await client.close()
  })
})

describe('keep-alive (pingInterval 0.2 s, pongTimeout 0.2 s)', async () => {
  const server = await startServer(manifest, { pingInterval: 0.2, pongTimeout: 0.2 })

  it('terminates a client that does not answer pings; a normal client stays connected', async () => {
    const silent = await connect(wsUrl(server), { autoPong: false })
    const normal: RawClient = await connect(wsUrl(server))
    let pings = 0
    normal.socket.on('ping', () => pings++)
    const start = Date.now()
    const closed = closeOf(silent.socket)
    const result = await Promise.race([closed, sleep(2500).then(() => undefined)])
    expect(result, 'the silent client was not terminated').toBeDefined()
    // Terminated without a close frame: 1006 on the client.
    expect(result!.code).toBe(1006)
    expect(Date.now() - start).toBeLessThan((0.2 + 0.2 + 1) * 1000)
    // The normal client, over the same time and then some, answered its pings and is still served.
    await sleep(Math.max(0, 1400 - (Date.now() - start)))
    expect(normal.socket.readyState).toBe(WebSocket.OPEN)
    expect(pings).toBeGreaterThanOrEqual(3)
    expect((await normal.call('getUserData', ['alive'])).result.id).toBe('alive')
    await normal.close()
  })
})

describe('the limits together leave the server healthy', async () => {
  const server = await startServer(manifest, { maxConnections: 5, maxMessageSize: 4000 })

  it('serves a new connection after every kind of refusal on one server', async () => {
    const client = await connect(wsUrl(server))
    client.sendText(nestedFrame(70))
    client.send(Array.from({ length: 51 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: '$/ping' })))
    await until(() => client.messages.length === 2)
    expect(client.messages).toEqual([
      { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) },
      { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) },
    ])
    const closed = closeOf(client.socket)
    client.sendText('x'.repeat(4001))
    expect((await closed).code).toBe(1009)
    const fresh = await connect(wsUrl(server))
    expect((await fresh.call('getUserData', ['healthy'])).result.id).toBe('healthy')
    await fresh.close()
  })
})

function nestedFrame(levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels)
}
