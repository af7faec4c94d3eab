// Every configured limit (docs/protocol.md, "Limits"; docs/security.md), reached on a real serve()
// with small values, and answered as documented; each one records the limit, the value used and
// what was observed. The server and its other connections carry on after each refusal.
import { connect as tcpConnect } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { serve, type RunningServer, type ServeOptions } from 'wirerpc/node'
import type { ServerManifest } from 'wirerpc/service'
import { WebSocket } from 'ws'
import httpManifest from '../e2e/fixtures/manifest.js'
import { connect, type RawClient } from '../e2e/ws/helpers.js'
import manifest from '../e2e/ws/manifest.js'
import { events, held, pulls } from '../e2e/ws/routes.js'
import { MODE, record, size, type Figure } from './harness.js'
import { closeOf, MiB, sleep, until } from './support-util.js'

const servers: RunningServer[] = []
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()))
})

async function start(options: ServeOptions, routes: ServerManifest = manifest): Promise<{ server: RunningServer; url: string }> {
  const server = await serve(routes, { port: 0, hostname: '127.0.0.1', onError: () => {}, shutdownTimeout: 1, ...options })
  servers.push(server)
  return { server, url: server.wsUrl }
}

function figure(test: string, load: string, result: string): void {
  record('limits', [{ section: 'limits', test, load, result } satisfies Figure])
}

/** Tries to open a WebSocket: 101 and the socket, or the HTTP status of the refusal (or the error code). */
function attempt(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<{ status: number | string; body: string; socket: WebSocket; ms: number }> {
  const start = performance.now()
  return new Promise((resolve) => {
    const socket = new WebSocket(url, options)
    const done = (status: number | string, body = '') => resolve({ status, body, socket, ms: performance.now() - start })
    socket.once('open', () => done(101))
    socket.once('unexpected-response', (request, response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => {
        request.destroy()
        done(response.statusCode ?? 0, body)
      })
    })
    socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message))
  })
}

/** A getUserData request padded to exactly `bytes` bytes. */
function requestOfSize(bytes: number, id: string): string {
  const text = JSON.stringify({ jsonrpc: '2.0', id, method: 'getUserData', params: ['u'] })
  return text + ' '.repeat(bytes - text.length)
}

const answers = (client: RawClient, predicate: (message: any) => boolean) => client.messages.filter(predicate) as any[]

describe(`limits (${MODE})`, () => {
  it('maxMessageSize: a message of exactly the limit is handled, one byte more closes with 1009', async () => {
    const { url } = await start({ maxMessageSize: 1000 })
    const client = await connect(url)
    client.sendText(requestOfSize(1000, 'exact'))
    expect((await client.waitFor((message) => message.id === 'exact')).result).toEqual({ id: 'u', name: 'user u' })
    const other = await connect(url)
    const closed = closeOf(client.socket)
    client.sendText(requestOfSize(1001, 'over'))
    const { code } = await closed
    expect(code).toBe(1009)
    expect(answers(client, (message) => message.id === 'over')).toEqual([])
    expect((await other.call('getUserData', ['other'])).result.id).toBe('other')
    await other.close()
    figure('maxMessageSize', 'maxMessageSize 1000 bytes; frames of 1000 and 1001 bytes', `1000 bytes answered; 1001 bytes: close ${code}, unanswered; another connection still served`)
  })

  it('maxConnections: the upgrade over the limit is refused with 503', async () => {
    const { url } = await start({ maxConnections: 3 })
    const open = await Promise.all([connect(url), connect(url), connect(url)])
    const refused = await Promise.all([attempt(url), attempt(url)])
    expect(refused.map((result) => result.status)).toEqual([503, 503])
    expect(JSON.parse(refused[0]!.body).message).toMatch(/maxConnections/)
    for (const client of open) expect((await client.call('$/ping')).result).toBe('pong')
    await open[0]!.close()
    // A slot is free once the server has seen the close.
    let again: Awaited<ReturnType<typeof attempt>> | undefined
    for (let i = 0; i < 50 && again?.status !== 101; i++) {
      if (i > 0) await sleep(20)
      again = await attempt(url)
    }
    expect(again?.status).toBe(101)
    again!.socket.close()
    await Promise.all(open.slice(1).map((client) => client.close()))
    figure('maxConnections', 'maxConnections 3; 5 upgrades', '4th and 5th refused with 503 (maxConnections named in the body); the 3 open ones still served; a new upgrade accepted after one closed')
  })

  it('handshakeTimeout: an upgrade whose headers or authorize hook take longer is cut', async () => {
    const authorize = async (request: Request) => {
      if (request.headers.has('x-slow')) await sleep(3000)
    }
    const { server, url } = await start({ handshakeTimeout: 0.5, authorize })
    // Headers never finished.
    const partial = await new Promise<{ data: string; ms: number }>((resolve) => {
      const start = performance.now()
      const socket = tcpConnect(server.port, '127.0.0.1', () =>
        socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`),
      )
      let data = ''
      socket.setEncoding('latin1')
      socket.on('data', (chunk: string) => (data += chunk))
      socket.on('error', () => {})
      socket.on('close', () => resolve({ data, ms: performance.now() - start }))
      setTimeout(() => socket.destroy(), 5000).unref()
    })
    expect(partial.data).not.toMatch(/101/)
    expect(partial.ms).toBeGreaterThan(300)
    expect(partial.ms).toBeLessThan(2500)
    // authorize too slow.
    const slow = await attempt(url, { headers: { 'x-slow': '1' } })
    expect(slow.status).not.toBe(101)
    expect(slow.ms).toBeGreaterThan(300)
    expect(slow.ms).toBeLessThan(2500)
    // A normal upgrade is not affected.
    const fine = await connect(url)
    expect((await fine.call('$/ping')).result).toBe('pong')
    await fine.close()
    figure(
      'handshakeTimeout',
      'handshakeTimeout 0.5 s; an upgrade request whose headers never end, and one whose authorize takes 3 s',
      `headers: cut after ${(partial.ms / 1000).toFixed(2)} s, no 101; authorize: cut after ${(slow.ms / 1000).toFixed(2)} s (${slow.status}); a normal upgrade still accepted`,
    )
  })

  it('maxInFlight: the request over the limit is answered 429, the others normally', async () => {
    const { url } = await start({ maxInFlight: 5 })
    const client = await connect(url)
    for (let i = 0; i < 6; i++) client.send({ jsonrpc: '2.0', id: `f${i}`, method: 'slow', params: [300] })
    await until(() => client.messages.length >= 6, 5000)
    const refused = answers(client, (message) => message.error)
    expect(refused).toEqual([{ jsonrpc: '2.0', id: 'f5', error: { code: 429, message: expect.stringMatching(/maxInFlight/) } }])
    expect(answers(client, (message) => message.result === 300)).toHaveLength(5)
    expect((await client.call('slow', [1])).result).toBe(1)
    await client.close()
    figure('maxInFlight', 'maxInFlight 5; 6 concurrent slow(300) requests', '5 answered 300, the 6th answered 429 at once; a request after them answered')
  })

  it('maxSubscriptions: the subscription over the limit is answered 429', async () => {
    const { url } = await start({ maxSubscriptions: 3 })
    const client = await connect(url)
    for (let i = 0; i < 3; i++) client.send({ jsonrpc: '2.0', id: `s${i}`, method: 'waitForCancel' })
    await until(() => answers(client, (message) => message.method === '$/next').length === 3, 5000)
    const refused = await client.call('waitForCancel', undefined, 's3')
    expect(refused).toEqual({ jsonrpc: '2.0', id: 's3', error: { code: 429, message: expect.stringMatching(/maxSubscriptions/) } })
    expect((await client.call('getUserData', ['beside'])).result.id).toBe('beside')
    client.send({ jsonrpc: '2.0', method: '$/cancel', params: { id: 's0' } })
    await client.waitFor((message) => message.id === 's0')
    client.send({ jsonrpc: '2.0', id: 's4', method: 'waitForCancel' })
    expect(await client.waitFor((message) => message.params?.id === 's4' || message.id === 's4')).toMatchObject({ method: '$/next' })
    await client.close()
    await until(() => held.open === 0, 3000)
    figure('maxSubscriptions', 'maxSubscriptions 3; 4 open subscriptions', '4th answered 429; requests still answered; after a $/cancel a new subscription accepted')
  })

  it('maxDepth: JSON nested deeper than the limit is answered -32600 before parsing', async () => {
    const { url } = await start({ maxDepth: 16 })
    const client = await connect(url)
    const frame = (id: string, levels: number) => `{"jsonrpc":"2.0","id":"${id}","method":"logEvent","params":["depth",${'['.repeat(levels - 2)}${']'.repeat(levels - 2)}]}`
    client.sendText(frame('d16', 16))
    expect(await client.waitFor((message) => message.id === 'd16')).toEqual({ jsonrpc: '2.0', id: 'd16', result: null })
    client.sendText(frame('d17', 17))
    const refused = await client.waitFor((message) => message.id === null)
    expect(refused.error.code).toBe(-32600)
    const t0 = performance.now()
    client.sendText('['.repeat(100_000))
    await until(() => answers(client, (message) => message.id === null).length === 2, 3000)
    const deepMs = performance.now() - t0
    expect(answers(client, (message) => message.id === null).map((message) => message.error.code)).toEqual([-32600, -32600])
    expect(client.socket.readyState).toBe(WebSocket.OPEN)
    await client.close()
    figure('maxDepth', 'maxDepth 16; frames nested 16, 17 and 100,000 levels', `16 answered; 17 and 100,000 answered -32600 (id null; 100,000 levels in ${deepMs.toFixed(0)} ms); connection open`)
  })

  it('maxBatchSize: a batch over the limit is answered with one -32600 and none of it runs', async () => {
    const { url } = await start({ maxBatchSize: 5 })
    const client = await connect(url)
    const batch = (marker: string, count: number) => Array.from({ length: count }, (_, i) => ({ jsonrpc: '2.0', id: `${marker}-${i}`, method: 'logEvent', params: [marker, i] }))
    client.send(batch('b5', 5))
    expect(await client.waitFor((message) => Array.isArray(message))).toHaveLength(5)
    client.send(batch('b6', 6))
    expect(await client.waitFor((message) => message.id === null)).toMatchObject({ error: { code: -32600, message: expect.stringMatching(/maxBatchSize/) } })
    expect((await client.call('$/ping')).result).toBe('pong')
    expect(events.filter((event) => event.event === 'b6')).toEqual([])
    expect(client.messages).toHaveLength(3)
    await client.close()
    figure('maxBatchSize', 'maxBatchSize 5; batches of 5 and 6', '5: one array of 5 answers; 6: one -32600 (id null), none of it ran')
  })

  it('highWaterMark: a subscription stops pulling its generator while the client does not read', async () => {
    const highWaterMark = 64 * 1024
    const { url } = await start({ highWaterMark })
    const client = await connect(url)
    client.socket.pause()
    const before = pulls.count
    client.send({ jsonrpc: '2.0', id: 'flood', method: 'counted' })
    // The generator runs until the socket buffers (the kernel's and the server's) are full, then stops.
    let last = -1
    let stableSince = Date.now()
    const deadline = Date.now() + 10_000
    while (Date.now() - stableSince < 500) {
      if (Date.now() > deadline) throw new Error(`pulls never stopped growing: ${pulls.count - before}`)
      if (pulls.count !== last) {
        last = pulls.count
        stableSince = Date.now()
      }
      await sleep(50)
    }
    const stalled = pulls.count - before
    await sleep(size(500, 2000))
    const during = pulls.count - before - stalled
    expect(during).toBeLessThanOrEqual(2)
    // At most what the socket buffers hold: 64 KiB items, far below what an unbounded generator makes.
    expect(stalled).toBeGreaterThan(0)
    expect(stalled * 64 * 1024).toBeLessThan(64 * MiB)
    // Reading again lets it go on.
    client.socket.resume()
    await until(() => pulls.count - before > stalled + 20, 5000)
    client.send({ jsonrpc: '2.0', method: '$/cancel', params: { id: 'flood' } })
    await client.close()
    figure(
      'highWaterMark',
      `highWaterMark 64 KiB; a \`counted\` subscription (64 KiB items) to a client that stops reading`,
      `generator stopped after ${stalled} pulls (${((stalled * 64) / 1024).toFixed(1)} MiB, the socket buffers), ${during} more in ${size(0.5, 2)} s; resumed when the client read again`,
    )
  })

  it('pingInterval / pongTimeout: a client that does not answer pings is terminated', async () => {
    const { url } = await start({ pingInterval: 0.2, pongTimeout: 0.2 })
    const silent = await connect(url, { autoPong: false })
    const normal = await connect(url)
    let pings = 0
    normal.socket.on('ping', () => pings++)
    const t0 = performance.now()
    const { code } = await closeOf(silent.socket)
    const ms = performance.now() - t0
    expect(code).toBe(1006)
    expect(ms).toBeLessThan(2000)
    await sleep(Math.max(0, 1000 - ms))
    expect(normal.socket.readyState).toBe(WebSocket.OPEN)
    expect(pings).toBeGreaterThanOrEqual(2)
    expect((await normal.call('$/ping')).result).toBe('pong')
    await normal.close()
    figure('pingInterval / pongTimeout', 'pingInterval 0.2 s, pongTimeout 0.2 s; a client with autoPong off, and a normal one', `silent client terminated after ${(ms / 1000).toFixed(2)} s (1006 on the client); the normal one answered ${pings} pings and stayed open`)
  })

  it('maxBodySize (HTTP): a body over the limit is answered 413', async () => {
    const { server } = await start({ maxBodySize: 1000 }, httpManifest)
    const post = (body: string) => fetch(`${server.url}posts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const over = await post(JSON.stringify({ title: 'x'.repeat(2000) }))
    expect(over.status).toBe(413)
    expect((await over.json()).message).toMatch(/maxBodySize/)
    const fits = await post(JSON.stringify({ title: 'ok' }).padEnd(1000, ' '))
    expect(fits.status).toBe(200)
    figure('maxBodySize (HTTP)', 'maxBodySize 1000 bytes; POST bodies of 2,015 and 1,000 bytes', '2,015 bytes: 413 (maxBodySize named); 1,000 bytes: 200')
  })
})

describe(`maxMessageRate (${MODE})`, () => {
  const RATE = 50
  const BURST = 2 * RATE
  const pings = (client: RawClient, marker: string, count: number) => {
    for (let i = 0; i < count; i++) client.send({ jsonrpc: '2.0', id: `${marker}-${i}`, method: '$/ping' })
  }
  const of = (client: RawClient, marker: string) => answers(client, (message) => typeof message.id === 'string' && message.id.startsWith(`${marker}-`))

  it('answers requests over the rate 429 with data.retryAfter, and serves them again after that delay', async () => {
    const { url } = await start({ maxMessageRate: RATE })
    const client = await connect(url)
    // One burst and half of one more, sent at once: the burst is answered, the rest refused.
    pings(client, 'p', BURST + BURST / 2)
    await until(() => of(client, 'p').length === BURST + BURST / 2, 5000)
    const pong = of(client, 'p').filter((message) => message.result === 'pong')
    const refused = of(client, 'p').filter((message) => message.error)
    // Tokens come back at RATE/s while the frames arrive: a few more than the burst may pass.
    expect(pong.length).toBeGreaterThanOrEqual(BURST)
    expect(pong.length).toBeLessThan(BURST + 10)
    expect(refused.length).toBe(BURST + BURST / 2 - pong.length)
    for (const message of refused) {
      expect(message.error).toMatchObject({ code: 429, message: expect.stringMatching(/maxMessageRate/) })
      expect(message.error.data.retryAfter).toBeGreaterThan(0)
      expect(message.error.data.retryAfter).toBeLessThanOrEqual(BURST / RATE + 0.1)
    }
    const retryAfter = refused.at(-1).error.data.retryAfter as number
    expect(client.socket.readyState).toBe(WebSocket.OPEN)
    await sleep(retryAfter * 1000 + 50)
    expect((await client.call('getUserData', ['after'])).result.id).toBe('after')
    await client.close()
    figure(
      'maxMessageRate: requests',
      `maxMessageRate ${RATE}/s (burst ${BURST}); ${BURST + BURST / 2} \`$/ping\` requests at once`,
      `${pong.length} answered, ${refused.length} answered 429 with data.retryAfter (last ${retryAfter} s); answered again after waiting it; connection open`,
    )
  })

  it('drops notifications over the rate; batches and WebSocket pings take tokens too', async () => {
    const { url } = await start({ maxMessageRate: RATE })
    const client = await connect(url)
    // A batch of BURST pings takes the whole bucket.
    client.send(Array.from({ length: BURST / 2 }, (_, i) => ({ jsonrpc: '2.0', id: `b-${i}`, method: '$/ping' })))
    for (let i = 0; i < BURST / 2; i++) client.socket.ping()
    for (let i = 0; i < 20; i++) client.send({ jsonrpc: '2.0', method: 'logEvent', params: ['over-rate', i] })
    const after = await client.call('$/ping', undefined, 'after-ws-pings')
    expect(after.error?.code).toBe(429)
    expect((await client.waitFor((message) => Array.isArray(message))).every((message: any) => message.result === 'pong')).toBe(true)
    const dropped = 20 - events.filter((event) => event.event === 'over-rate').length
    // A token or two may come back while the frames arrive.
    expect(dropped).toBeGreaterThanOrEqual(17)
    await client.close()
    figure(
      'maxMessageRate: notifications, batches, pings',
      `maxMessageRate ${RATE}/s; a batch of ${BURST / 2} requests + ${BURST / 2} WebSocket pings, then 20 notifications and a request`,
      `batch answered; ${dropped}/20 notifications dropped; the request after them answered 429`,
    )
  })

  it('still applies $/cancel over the rate', async () => {
    const { url } = await start({ maxMessageRate: RATE })
    const client = await connect(url)
    const open = held.open
    client.send({ jsonrpc: '2.0', id: 'sub', method: 'waitForCancel' })
    await client.waitFor((message) => message.params?.id === 'sub')
    pings(client, 'e', BURST + 10)
    await until(() => of(client, 'e').length === BURST + 10, 5000)
    expect(of(client, 'e').some((message) => message.error?.code === 429)).toBe(true)
    client.send({ jsonrpc: '2.0', method: '$/cancel', params: { id: 'sub' } })
    expect(await client.waitFor((message) => message.id === 'sub')).toMatchObject({ error: { code: -32800 } })
    await until(() => held.open === open, 3000)
    await client.close()
    figure('maxMessageRate: $/cancel', `maxMessageRate ${RATE}/s; a subscription, ${BURST + 10} requests, then \`$/cancel\``, 'requests over the rate answered 429; the $/cancel applied (-32800, generator finished)')
  })

  it('closes a connection that keeps flooding with 1008, not before another burst over the rate', async () => {
    const { url } = await start({ maxMessageRate: RATE })
    const client = await connect(url)
    const other = await connect(url)
    const closed = closeOf(client.socket)
    // Half a burst over the rate: refused, not closed.
    pings(client, 'f', BURST + RATE)
    await until(() => of(client, 'f').length === BURST + RATE, 5000)
    const refusedFirst = of(client, 'f').filter((message) => message.error?.code === 429).length
    expect(refusedFirst).toBeGreaterThan(RATE - 10)
    expect(client.socket.readyState).toBe(WebSocket.OPEN)
    // Going on past another burst's worth: closed with 1008.
    pings(client, 'g', 2 * BURST)
    const { code } = await closed
    expect(code).toBe(1008)
    const refusedThen = of(client, 'g').length
    // Every message taken before the connection was found flooding is still answered (429) before the close.
    expect(refusedThen).toBeGreaterThanOrEqual(BURST - RATE)
    // Another connection has a bucket of its own.
    expect((await other.call('$/ping')).result).toBe('pong')
    await other.close()
    figure(
      'maxMessageRate: flood',
      `maxMessageRate ${RATE}/s (burst ${BURST}); ${BURST + RATE} requests at once, then ${2 * BURST} more`,
      `first ${BURST + RATE}: ${BURST + RATE - refusedFirst} answered, ${refusedFirst} answered 429, connection open; then close ${code} (${refusedThen} of the next ${2 * BURST} answered before it); another connection unaffected`,
    )
  })

  it('is off with maxMessageRate: 0', async () => {
    const { url } = await start({ maxMessageRate: 0 })
    const client = await connect(url)
    const count = size(5_000, 30_000)
    pings(client, 'z', count)
    await until(() => of(client, 'z').length === count, 20_000)
    expect(of(client, 'z').every((message) => message.result === 'pong')).toBe(true)
    expect(client.socket.readyState).toBe(WebSocket.OPEN)
    await client.close()
    figure('maxMessageRate: 0', `maxMessageRate 0; ${count} \`$/ping\` requests at once`, `${count}/${count} answered, none refused, connection open`)
  })
})
