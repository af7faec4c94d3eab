// Attacks through the HTTP side of the port (docs/security.md): upgrade requests of every
// malformed kind, refused upgrades held open, requests offering another protocol, JSON bodies
// nested to overflow a stack. The server runs in a child process (a crash is seen from outside)
// while a canary client calls it every 100 ms; each test asserts the documented answer, that the
// server is still alive, and that every canary call was answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { record, size, type Figure } from './harness.js'
import { underAttack } from './support-canary.js'
import { startServerProcess, type ServerChild } from './support-process.js'
import { openTcp, rawExchange, upgradeRequest } from './support-raw.js'
import { random, until } from './support-util.js'

const figures: Figure[] = []
let server: ServerChild
let port: number

beforeAll(async () => {
  server = await startServerProcess({ serve: { shutdownTimeout: 1 } })
  port = Number(new URL(server.url).port)
})
afterAll(async () => {
  await server?.kill()
  record('hostile-upgrade', figures)
})

const json = (body: string) => JSON.parse(body) as { message: string }

describe('upgrade requests a client controls', () => {
  // [what, request, status, what the body says]
  const cases: [string, string, number, RegExp][] = [
    ['Host with a space', upgradeRequest('/ws', { Host: 'a b' }), 400, /Host header is not a host name/],
    ['Host with a path', upgradeRequest('/ws', { Host: 'evil.example/ws' }), 400, /Host header/],
    ['Host with credentials', upgradeRequest('/ws', { Host: 'user@127.0.0.1' }), 400, /Host header/],
    ['Host with an open bracket', upgradeRequest('/ws', { Host: '[::1' }), 400, /Host header/],
    ['empty Host', upgradeRequest('/ws', { Host: '' }), 400, /Host header/],
    ['no Host (HTTP/1.1)', upgradeRequest('/ws', { Host: undefined }), 400, /Host header is missing/],
    ['request target //', upgradeRequest('//'), 404, /No WebSocket endpoint at \/\/; connect to \/ws/],
    ['request target //ws', upgradeRequest('//ws'), 404, /connect to \/ws/],
    ['request target *', upgradeRequest('*'), 400, /request target must be a path/],
    // Node's own parser refuses it first (400, no body).
    ['request target without a slash', upgradeRequest('ws'), 400, /^$/],
    ['websocket in a list of protocols', upgradeRequest('/ws', { Upgrade: 'foo, websocket' }), 400, /Upgrade header/],
    ['a path of 8 KiB', upgradeRequest(`/${'a'.repeat(8192)}`), 404, /^.{0,200}$/],
    ['Origin null', upgradeRequest('/ws', { Origin: 'null' }), 403, /Origin null may not/],
    ['Origin of 8 KiB', upgradeRequest('/ws', { Origin: `http://${'o'.repeat(8192)}` }), 403, /^.{0,260}$/],
    ['no Sec-WebSocket-Key', upgradeRequest('/ws', { 'Sec-WebSocket-Key': undefined }), 400, /Sec-WebSocket-Key/],
    ['Sec-WebSocket-Version 99', upgradeRequest('/ws', { 'Sec-WebSocket-Version': '99' }), 400, /Sec-WebSocket-Version/],
    ['method POST', upgradeRequest('/ws', {}, { method: 'POST' }), 405, /method/],
    ['a WebSocket upgrade to an HTTP route', upgradeRequest('/echo'), 404, /connect to \/ws/],
  ]

  it.each(cases)('answers an upgrade with %s (%#) as documented and closes the socket', async (_what, request, status, says) => {
    const { value: answer } = await underAttack(server, () => rawExchange(port, request, { waitForClose: true }))
    expect(answer.status).toBe(status)
    expect(answer.body).toMatch(says)
    if (answer.body.startsWith('{')) expect(Object.keys(json(answer.body))).toEqual(['message'])
    expect(answer.closedByServer).toBe(true)
  })

  it.each([
    ['an absolute-form target', upgradeRequest('http://127.0.0.1/ws')],
    ['junk in the query string', upgradeRequest('/ws?%%%&a[b]=__proto__')],
    ['Latin-1 bytes in a header', upgradeRequest('/ws', { 'X-Test': '\xff\xfe' })],
    ['HTTP/1.0 without Host', upgradeRequest('/ws', { Host: undefined }, { version: '1.0' })],
    ['Upgrade: WebSocket (any case)', upgradeRequest('/ws', { Upgrade: 'WebSocket' })],
  ])('accepts an upgrade with %s', async (_what, request) => {
    const { value: answer } = await underAttack(server, () => rawExchange(port, request))
    expect(answer.status).toBe(101)
  })

  it('answers a seeded mix of malformed upgrade requests, each with a status, and never falls over', { timeout: size(30_000, 300_000) }, async () => {
    const rng = random(Number(process.env['RELIABILITY_SEED'] ?? 20_261_204))
    const count = size(300, 3000)
    const pieces = {
      method: ['GET', 'GET', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'G\u00e9T', 'CONNECT'],
      target: ['/ws', '//', '//ws', '/ws?x=%', '*', 'ws', '/%2e%2e/ws', `/ws#${'f'.repeat(100)}`, 'http://127.0.0.1/ws', 'http://[::1]/ws', '/ws/../ws', '/\u00ff'],
      version: ['1.1', '1.1', '1.0', '2.0', '0.9', '1.2'],
      host: ['127.0.0.1', 'a b', '', 'evil.example/x', 'x:99999', '[::1]:80', 'h\u00e9', '@', 'a'.repeat(300), undefined],
      origin: [undefined, 'null', 'http://127.0.0.1', 'https://evil.example', 'not a url', '\u00ff'],
      key: ['dGhlIHNhbXBsZSBub25jZQ==', undefined, '', 'short', 'x'.repeat(100)],
      version13: ['13', '8', '', 'x', undefined],
      upgrade: ['websocket', 'WebSocket', 'websocket, h2c', 'websocket\u00ff'],
    }
    const statuses: Record<number, number> = {}
    const { canary } = await underAttack(server, async () => {
      for (let i = 0; i < count; i++) {
        const request = upgradeRequest(
          rng.pick(pieces.target),
          {
            Host: rng.pick(pieces.host),
            Origin: rng.pick(pieces.origin),
            'Sec-WebSocket-Key': rng.pick(pieces.key),
            'Sec-WebSocket-Version': rng.pick(pieces.version13),
            Upgrade: rng.pick(pieces.upgrade),
          },
          { method: rng.pick(pieces.method), version: rng.pick(pieces.version) },
        )
        const answer = await rawExchange(port, Buffer.from(request, 'latin1'), { timeoutMs: 2_000 })
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1
        // Every request gets an HTTP answer (Node's parser answers what it cannot read with 400),
        // but CONNECT, which Node hands to 'connect' listeners (there are none): it cuts the socket.
        if (answer.status === 0) expect(answer.closedByServer, request.slice(0, 200)).toBe(true)
        else expect([101, 400, 403, 404, 405, 426], request.slice(0, 200)).toContain(answer.status)
      }
    })
    figures.push({
      section: 'malformed traffic',
      test: 'random malformed upgrade requests (seeded), with a canary connection',
      load: `${count} upgrade requests mixing methods, targets, HTTP versions, Host, Origin, Sec-WebSocket-Key/Version and Upgrade values, one at a time`,
      result: `server alive, 0 unhandled rejections, 0 uncaught exceptions; answers by status ${JSON.stringify(statuses)}; ${canary}`,
    })
  })
})

describe('refused upgrades', () => {
  it('destroys each refused socket once answered: 300 refusals held open by their clients leave files for everyone else', { timeout: 60_000 }, async () => {
    // A server that may hold 256 files: 300 refused sockets that stayed open would exhaust it.
    const limited = await startServerProcess({ maxFiles: 256, serve: { shutdownTimeout: 1 } })
    try {
      const limitedPort = Number(new URL(limited.url).port)
      let connections = -1
      const { canary } = await underAttack(limited, async () => {
        const sockets = []
        for (let i = 0; i < 300; i++) {
          // A client that neither reads nor closes: only the server can let go of the socket.
          const socket = await openTcp(limitedPort)
          socket.on('error', () => {})
          socket.write(upgradeRequest('/nope'))
          sockets.push(socket)
        }
        // Only the canary's connection is left on the server.
        for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
          connections = (await limited.stats()).connections
          if (connections <= 1) break
        }
        expect(connections).toBeLessThanOrEqual(1)
        for (const socket of sockets) socket.destroy()
      })
      figures.push({
        section: 'limits',
        test: 'refused upgrades held open by their clients',
        load: '300 upgrades to a wrong path (404) whose clients never close, server limited to 256 open files (ulimit -n)',
        result: `300/300 sockets closed by the server once answered (${connections} connection left: the canary's); ${canary}`,
      })
    } finally {
      await limited.kill()
    }
  })

  it('finishes close() by shutdownTimeout while a refused socket and an upgrade still in authorize are held open', async () => {
    const child = await startServerProcess({ serve: { shutdownTimeout: 1, authorizeDelayMs: 30_000 } })
    const childPort = Number(new URL(child.url).port)
    const refusedSocket = await openTcp(childPort)
    refusedSocket.on('error', () => {})
    refusedSocket.write(upgradeRequest('/nope'))
    const pending = await openTcp(childPort)
    pending.on('error', () => {})
    pending.write(upgradeRequest('/ws'))
    // The refusal answered, the other upgrade is waiting in authorize.
    await new Promise((resolve) => refusedSocket.once('data', resolve))
    const exit = await child.terminate()
    expect(exit.code).toBe(0)
    expect(exit.closeMs).toBeLessThan(1_000 + 1_500)
    refusedSocket.destroy()
    pending.destroy()
    figures.push({
      section: 'shutdown',
      test: 'close() with a refused socket and an upgrade in authorize held open',
      load: 'shutdownTimeout 1 s; authorize takes 30 s',
      result: `close() finished in ${exit.closeMs} ms, exit code 0`,
    })
  })
})

describe('requests offering another protocol', () => {
  it('serves a POST carrying Upgrade: foo as the HTTP request it is', async () => {
    const body = '{"a":[1,2,3]}'
    const request = `POST /echo HTTP/1.1\r\nHost: x\r\nUpgrade: foo\r\nConnection: upgrade\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`
    const { value: answer } = await underAttack(server, () => rawExchange(port, request))
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ a: [1, 2, 3] })
  })

  it('serves an h2c offer (curl --http2) over HTTP/1.1', async () => {
    const request = 'GET /health HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n'
    const { value: answer } = await underAttack(server, () => rawExchange(port, request))
    expect(answer.status).toBe(200)
    expect(answer.text).toMatch(/^HTTP\/1\.1 200/)
    expect(JSON.parse(answer.body)).toEqual({ ok: true })
  })

  it('keeps the connection alive: a chunked POST with an upgrade offer, then a plain GET on the same socket', async () => {
    const socket = await openTcp(port)
    let text = ''
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
    socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nUpgrade: foo\r\nConnection: keep-alive, Upgrade\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n')
    socket.write('4\r\n{"b"\r\n3\r\n:2}\r\n0\r\n\r\n')
    await until(() => text.includes('{"b":2}'), 3_000, () => text)
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
    await until(() => text.includes('{"ok":true}'), 3_000, () => text)
    expect(text.match(/HTTP\/1\.1 200/g)).toHaveLength(2)
    socket.destroy()
  })
})

describe('plain HTTP requests', () => {
  it.each([
    ['a port past 65535 in Host', 'GET /health HTTP/1.1\r\nHost: x:99999\r\n\r\n', 400],
    ['the same, offering Upgrade: foo', 'GET /health HTTP/1.1\r\nHost: x:99999\r\nUpgrade: foo\r\nConnection: upgrade\r\n\r\n', 400],
    ['an absolute-form target', 'GET http://127.0.0.1/health HTTP/1.1\r\nHost: x\r\n\r\n', 200],
  ])('answers a request with %s as documented', async (_what, request, status) => {
    const { value: answer } = await underAttack(server, () => rawExchange(port, request))
    expect(answer.status).toBe(status)
  })
})

describe('JSON bodies', () => {
  it('answers a body nested 200,000 deep with 400 (maxDepth), like a WebSocket message', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`
    const post = (text: string) => `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text}`
    const started = performance.now()
    const { value: answer, canary } = await underAttack(server, () => rawExchange(port, post(deep)))
    const ms = performance.now() - started
    expect(answer.status).toBe(400)
    expect(answer.body).toContain('nests deeper than 64 levels (maxDepth)')
    expect(answer.body).not.toContain('stack')
    expect((await rawExchange(port, post(`${'['.repeat(64)}${']'.repeat(64)}`))).status).toBe(200)
    expect((await rawExchange(port, post(`${'['.repeat(65)}${']'.repeat(65)}`))).status).toBe(400)
    figures.push({
      section: 'limits',
      test: 'maxDepth (HTTP)',
      load: 'JSON bodies nested 64, 65 and 200,000 levels',
      result: `64: 200; 65 and 200,000: 400 naming maxDepth (200,000 levels answered in ${Math.round(ms)} ms); ${canary}`,
    })
  })
})
