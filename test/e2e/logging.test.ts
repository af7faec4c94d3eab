// The server log (docs/websocket.md, "Logging"): serve() with a capturing logger, real sockets,
// the exact lines of each event, and what must never reach a log line (tokens, bodies, cookies).
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import { serve, type LogFields, type Logger, type RunningServer, type ServeOptions } from 'wirerpc/node'
import { route, type ServerManifest } from 'wirerpc/service'
import { connect } from './ws/helpers.js'
import { manifest as wsManifest } from './ws/protocol-harness.js'

interface Entry {
  level: 'info' | 'warn' | 'error'
  message: string
  fields: LogFields | undefined
}

function capture(): Logger & { entries: Entry[]; lines(event?: string): string[] } {
  const entries: Entry[] = []
  const push = (level: Entry['level']) => (message: string, fields?: LogFields) => void entries.push({ level, message, fields })
  return {
    entries,
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    lines: (event) => entries.filter((entry) => event === undefined || entry.fields?.event === event).map((entry) => entry.message),
  }
}

const explode = route('/explode').get(async () => {
  throw new Error('kaput')
})
const manifest: ServerManifest = [...wsManifest, { protocol: 'http', name: 'explode', method: 'GET', path: '/explode', pathParams: [], import: async () => explode }]

const servers: RunningServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
  vi.restoreAllMocks()
})

async function start(options: ServeOptions): Promise<RunningServer> {
  const server = await serve(manifest, { port: 0, hostname: '127.0.0.1', shutdownTimeout: 1, ...options })
  servers.push(server)
  return server
}

/** Waits until `check` stops throwing (log lines of a close arrive after the client's close event). */
async function eventually(check: () => void, timeout = 3000): Promise<void> {
  const until = Date.now() + timeout
  for (;;) {
    try {
      return check()
    } catch (error) {
      if (Date.now() > until) throw error
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
}

/** Opens a raw upgrade and resolves with the refusal's status (or 101). */
function upgradeStatus(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options)
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0)
      response.resume()
      socket.terminate()
    })
    socket.on('open', () => {
      resolve(101)
      socket.close()
    })
    socket.on('error', reject)
  })
}

/** Console methods, silenced and watched. */
function watchConsole() {
  return (['log', 'info', 'warn', 'error', 'debug'] as const).map((name) => vi.spyOn(console, name).mockImplementation(() => {}))
}

describe('the server log', () => {
  it('logs listening with the HTTP and WebSocket URLs; wsUrl is the WebSocket endpoint', async () => {
    const logger = capture()
    const server = await start({ logger, prefix: '/api' })
    expect(server.wsUrl).toBe(`ws://127.0.0.1:${server.port}/api/ws`)
    expect(logger.entries).toEqual([
      {
        level: 'info',
        message: `listening on http://127.0.0.1:${server.port}/api/ and ws://127.0.0.1:${server.port}/api/ws`,
        fields: { event: 'listening', url: server.url, wsUrl: server.wsUrl },
      },
    ])
    const root = await start({ logger: false })
    expect(root.wsUrl).toBe(`ws://127.0.0.1:${root.port}/ws`)
  })

  it('logs a connection opened (id, ip, short user-agent) and closed (code, duration, calls)', async () => {
    const logger = capture()
    const server = await start({ logger })
    const userAgent = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
    const client = await connect(server.wsUrl, { headers: { 'user-agent': userAgent } })
    const { result } = await client.call('whoami')
    await client.call('getUserData', ['u1'])
    client.send({ jsonrpc: '2.0', method: 'logEvent', params: ['e', {}] })
    await client.call('nope')
    client.socket.close(4001)
    await eventually(() => expect(logger.lines('ws.close')).toHaveLength(1))
    const id = result.connection as string
    expect(logger.lines('ws.open')).toEqual([`ws #${id} open from 127.0.0.1 ("Mozilla/5.0 Gecko/20100101 Firefox/128.0")`])
    expect(logger.lines('ws.close')[0]).toMatch(new RegExp(`^ws #${id} closed with 4001 after \\d+\\.\\d\\ds, 3 calls$`))
    const closed = logger.entries.find((entry) => entry.fields?.event === 'ws.close')!
    expect(closed).toMatchObject({ level: 'info', fields: { id, code: 4001, calls: 3 } })
    expect(typeof closed.fields?.['durationMs']).toBe('number')
  })

  it('logs refused upgrades with their status and reason', async () => {
    const logger = capture()
    const server = await start({ logger, authorize: (request) => request.headers.get('authorization') === 'Bearer good' })
    expect(await upgradeStatus(server.wsUrl, { headers: { origin: 'https://evil.example' } })).toBe(403)
    expect(await upgradeStatus(server.wsUrl)).toBe(403)
    expect(await upgradeStatus(server.wsUrl.replace(/\/ws$/, '/elsewhere'))).toBe(404)
    expect(await upgradeStatus(server.wsUrl, { headers: { authorization: 'Bearer good' } })).toBe(101)
    const refusals = logger.entries.filter((entry) => entry.fields?.event === 'ws.refuse')
    expect(refusals.map(({ level, message }) => ({ level, message }))).toEqual([
      { level: 'warn', message: 'ws upgrade refused with 403 (origin) from 127.0.0.1' },
      { level: 'info', message: 'ws upgrade refused with 403 (authorize) from 127.0.0.1' },
      { level: 'info', message: 'ws upgrade refused with 404 (path) from 127.0.0.1' },
    ])
    expect(refusals[0]!.fields).toEqual({ event: 'ws.refuse', status: 403, reason: 'origin', ip: '127.0.0.1' })
  })

  it('logs the refusal of an upgrade over maxConnections as a warning', async () => {
    const logger = capture()
    const server = await start({ logger, maxConnections: 1 })
    const first = await connect(server.wsUrl)
    expect(await upgradeStatus(server.wsUrl)).toBe(503)
    expect(logger.entries.filter((entry) => entry.fields?.event === 'ws.refuse')).toMatchObject([
      { level: 'warn', message: 'ws upgrade refused with 503 (limit) from 127.0.0.1', fields: { status: 503, reason: 'limit' } },
    ])
    await first.close()
  })

  it('logs an upgrade cut at handshakeTimeout as a warning', async () => {
    const logger = capture()
    const server = await start({ logger, handshakeTimeout: 0.1, authorize: () => new Promise<void>(() => {}) })
    await expect(upgradeStatus(server.wsUrl)).rejects.toThrow(/socket hang up/)
    expect(logger.entries.filter((entry) => entry.fields?.event === 'ws.refuse')).toEqual([
      { level: 'warn', message: 'ws upgrade cut after 0.1s (timeout) from 127.0.0.1', fields: { event: 'ws.refuse', status: undefined, reason: 'timeout', ip: '127.0.0.1' } },
    ])
  })

  it('logs an unexpected handler error once, with the route name, and not to the console', async () => {
    const consoleCalls = watchConsole()
    const logger = capture()
    const server = await start({ logger })
    const client = await connect(server.wsUrl)
    const { result } = await client.call('whoami')
    const response = await client.call('fail', ['boom'])
    expect(response.error.code).toBe(-32603)
    expect((await fetch(`${server.url}explode`)).status).toBe(500)
    await client.close()
    const errors = logger.entries.filter((entry) => entry.level === 'error')
    expect(errors.map((entry) => entry.message)).toEqual([
      `unexpected error in ws route "fail" (ws #${result.connection}): boom`,
      'unexpected error in http route "explode": kaput',
    ])
    expect(errors[0]!.fields).toMatchObject({ event: 'error', route: 'fail', id: result.connection, error: 'boom' })
    // NODE_ENV is not production under vitest: the stack is in the fields, never in the message.
    expect(errors[0]!.fields?.['stack']).toMatch(/^Error: boom\n\s+at /)
    expect(errors[1]!.fields).toMatchObject({ event: 'error', route: 'explode', error: 'kaput' })
    for (const spy of consoleCalls) expect(spy).not.toHaveBeenCalled()
  })

  it('leaves out the stack in production', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    try {
      const logger = capture()
      const server = await start({ logger, debug: true })
      const client = await connect(server.wsUrl)
      await client.call('fail', ['boom'])
      await client.close()
      const [error] = logger.entries.filter((entry) => entry.level === 'error')
      expect(error!.message).toMatch(/^unexpected error in ws route "fail" \(ws #\d+\): boom$/)
      expect(error!.fields).not.toHaveProperty('stack')
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('still calls an explicit onError, besides the log', async () => {
    const logger = capture()
    const errors: unknown[] = []
    const server = await start({ logger, onError: (error) => void errors.push(error) })
    const client = await connect(server.wsUrl)
    await client.call('fail', ['boom'])
    await client.close()
    expect(errors).toEqual([new Error('boom')])
    expect(logger.lines('error')).toHaveLength(1)
  })

  it('logs a thrown non-Error by its description, and an onError that throws as an error of its own', async () => {
    const logger = capture()
    const server = await start({
      logger,
      onError: () => {
        throw Object.create(null)
      },
    })
    const client = await connect(server.wsUrl)
    const { result } = await client.call('whoami')
    expect((await client.call('fail', ['string'])).error.code).toBe(-32603)
    await client.close()
    expect(logger.entries.filter((entry) => entry.level === 'error').map((entry) => entry.message)).toEqual([
      'unexpected error in onError: Non-Error thrown: an object with no prototype',
      `unexpected error in ws route "fail" (ws #${result.connection}): Non-Error thrown: plain string`,
    ])
  })

  it('logs an authorize that throws as an unexpected error and a refusal with 500', async () => {
    const logger = capture()
    const server = await start({
      logger,
      authorize: () => {
        throw new Error('session store down')
      },
    })
    expect(await upgradeStatus(server.wsUrl)).toBe(500)
    expect(logger.entries.map(({ level, message }) => ({ level, message })).slice(1)).toEqual([
      { level: 'error', message: 'unexpected error in authorize: session store down' },
      { level: 'info', message: 'ws upgrade refused with 500 (authorize) from 127.0.0.1' },
    ])
  })

  it('logs a client terminated for a missed pong, then its close', async () => {
    const logger = capture()
    const server = await start({ logger, pingInterval: 0.05, pongTimeout: 0.05 })
    const client = await connect(server.wsUrl, { autoPong: false })
    const { result } = await client.call('whoami')
    await eventually(() => expect(logger.lines('ws.close')).toHaveLength(1))
    expect(logger.entries.filter((entry) => entry.fields?.event === 'ws.pong-timeout')).toEqual([
      { level: 'warn', message: `ws #${result.connection} terminated: no pong within 0.05s`, fields: { event: 'ws.pong-timeout', id: result.connection, pongTimeout: 0.05 } },
    ])
    expect(logger.lines('ws.close')[0]).toMatch(new RegExp(`^ws #${result.connection} closed with 1006 after `))
  })

  it('logs a close for a message over maxMessageSize', async () => {
    const logger = capture()
    const server = await start({ logger, maxMessageSize: 1024 })
    const client = await connect(server.wsUrl)
    const { result } = await client.call('whoami')
    client.sendText(JSON.stringify({ jsonrpc: '2.0', method: 'logEvent', params: ['e', 'x'.repeat(2000)] }))
    await eventually(() => expect(logger.lines('ws.close')).toHaveLength(1))
    expect(logger.entries.filter((entry) => entry.fields?.event === 'ws.frame-error')).toEqual([
      {
        level: 'warn',
        message: `ws #${result.connection} closing with 1009: a message over maxMessageSize (1024 bytes)`,
        fields: { event: 'ws.frame-error', id: result.connection, code: 1009, error: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' },
      },
    ])
    expect(logger.lines('ws.close')[0]).toMatch(new RegExp(`^ws #${result.connection} closed with 1009 after `))
  })

  it('logs shutdown begun and finished', async () => {
    const logger = capture()
    const server = await serve(manifest, { port: 0, logger, shutdownTimeout: 1 })
    const client = await connect(server.wsUrl)
    await client.call('whoami')
    await server.close()
    expect(logger.lines('shutdown.start')).toEqual(['shutting down: 1 WebSocket connection and 0 HTTP requests open, 1s to finish'])
    expect(logger.lines('shutdown.end')[0]).toMatch(/^shut down in \d\.\d\ds$/)
    // The connection closed by the shutdown is logged with 1001, before the end of the shutdown.
    const events = logger.entries.map((entry) => entry.fields?.event)
    expect(events.indexOf('ws.close')).toBeLessThan(events.indexOf('shutdown.end'))
    expect(logger.lines('ws.close')[0]).toMatch(/ closed with 1001 after /)
  })

  it('never logs a token from the query string or a header, a cookie, params or bodies', async () => {
    const logger = capture()
    const server = await start({
      logger,
      authorize: (request) => new URL(request.url).searchParams.get('token') === 'SECRET-QUERY-1',
    })
    const headers = { authorization: 'Bearer SECRET-HEADER-2', cookie: 'sid=SECRET-COOKIE-3', 'x-api-key': 'SECRET-KEY-4' }
    // Refused: the wrong token, in the query string and in the headers.
    expect(await upgradeStatus(`${server.wsUrl}?token=SECRET-QUERY-WRONG`, { headers })).toBe(403)
    expect(await upgradeStatus(`${server.wsUrl.replace(/\/ws$/, '/other')}?token=SECRET-QUERY-1`, { headers })).toBe(404)
    expect(await upgradeStatus(`${server.wsUrl}?token=SECRET-QUERY-1`, { headers: { ...headers, origin: 'https://SECRET-ORIGIN.example' } })).toBe(403)
    // Accepted: params and bodies carry secrets too, an error included.
    const client = await connect(`${server.wsUrl}?token=SECRET-QUERY-1`, { headers })
    await client.call('getUserData', ['SECRET-PARAM-5'])
    await client.call('fail', ['SECRET-PARAM-6'])
    await client.call('fail', ['http'])
    client.sendText('{"jsonrpc":"2.0","id":1,"method":"SECRET-METHOD-7"')
    await fetch(`${server.url}explode?token=SECRET-QUERY-8`, { headers })
    await client.close()
    await eventually(() => expect(logger.lines('ws.close')).toHaveLength(1))
    await servers.pop()!.close()
    expect(logger.lines('shutdown.end')).toHaveLength(1)
    const logged = logger.entries.map((entry) => `${entry.message} ${JSON.stringify(entry.fields)}`)
    expect(logged.length).toBeGreaterThan(8)
    for (const line of logged) expect(line).not.toMatch(/SECRET|token=|Bearer|sid=/i)
  })

  it('logs nothing with logger: false, nor by default (to the console included)', async () => {
    const consoleCalls = watchConsole()
    for (const logger of [false, undefined]) {
      const server = await start({ logger, onError: () => {}, maxMessageSize: 64 })
      const client = await connect(server.wsUrl)
      await client.call('fail', ['boom'])
      client.sendText('x'.repeat(100))
      await new Promise((resolve) => client.socket.once('close', resolve))
      expect(await upgradeStatus(server.wsUrl, { headers: { origin: 'https://evil.example' } })).toBe(403)
      await servers.pop()!.close()
    }
    for (const spy of consoleCalls) expect(spy).not.toHaveBeenCalled()
  })

  it('logger: true writes concise lines to the console, warnings and errors to stderr', async () => {
    const [log, info, warn, error] = watchConsole()
    const server = await start({ logger: true })
    expect(info).toHaveBeenCalledWith(`[wirerpc] listening on ${server.url} and ${server.wsUrl}`)
    expect(await upgradeStatus(server.wsUrl, { headers: { origin: 'https://evil.example' } })).toBe(403)
    expect(warn).toHaveBeenCalledWith('[wirerpc] ws upgrade refused with 403 (origin) from 127.0.0.1')
    const client = await connect(server.wsUrl)
    await client.call('fail', ['boom'])
    await client.close()
    expect(error).toHaveBeenCalledTimes(1)
    expect(error!.mock.calls[0]![0]).toMatch(/^\[wirerpc\] unexpected error in ws route "fail" \(ws #\d+\): boom\nError: boom\n\s+at /)
    expect(log).not.toHaveBeenCalled()
  })

  it('accepts console as a logger, and survives a logger that throws', async () => {
    const [, info] = watchConsole()
    const server = await start({ logger: console })
    expect(info).toHaveBeenCalledWith(`listening on ${server.url} and ${server.wsUrl}`, { event: 'listening', url: server.url, wsUrl: server.wsUrl })
    const broken = () => {
      throw new Error('logger down')
    }
    const unreliable = await start({ logger: { info: broken, warn: broken, error: broken } })
    const client = await connect(unreliable.wsUrl)
    expect((await client.call('getUserData', ['u1'])).result).toEqual({ id: 'u1', name: 'user u1' })
    expect((await client.call('fail', ['boom'])).error.code).toBe(-32603)
    await client.close()
  })
})
