// Whatever user code throws (test/support/thrown-shapes.ts: null, undefined, a symbol, an object
// without a prototype, objects whose getters, conversions or every Proxy trap throw, a revoked
// Proxy, an Error whose message cannot be read, HTTP errors real and look-alike), from wherever it
// runs (WebSocket handlers and generators, middleware, `ctx.defer`, close listeners, `finally`
// blocks and iterator `return()` on cancel, `authorize`, HTTP handlers and streams), the call gets
// its documented error (docs/errors.md) and the server carries on.
// Under test/reliability, not test/e2e: the server runs in a child process
// (./fixtures/thrown-server.ts), so that a crash, an unhandled rejection or an uncaught exception
// is seen from outside, and a well-behaved client (a subscription that ticks, calls over WebSocket
// and HTTP) is checked after every case. Three servers: with `debug` and a logger; without
// `debug`, with a logger and an `onError` that both throw; and with neither (the default onError,
// console.error).
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { connectionOf, defineClient } from 'wirerpc/client'
import type * as wirerpc from 'wirerpc/client'
import { connect, type RawClient } from '../e2e/ws/helpers.js'
import { HTTP_SHAPES, SHAPE_NAMES, type Shape } from '../support/thrown-shapes.js'
import type { ThrownServerOptions, ThrownServerStats } from './fixtures/thrown-server.js'
import { record } from './harness.js'
import { startServerProcess, type ServerChild } from './support-process.js'
import { until } from './support-util.js'

const SCRIPT = fileURLToPath(new URL('./fixtures/thrown-server.ts', import.meta.url))

/** The well-behaved client's routes (client manifest of ./fixtures/thrown-routes.ts). */
const api = {
  ok: { protocol: 'ws', pattern: 'r', name: 'ok', arity: 1 } as wirerpc.Route<(n: number, options?: wirerpc.WsRequestOptions) => Promise<number>>,
  ticks: { protocol: 'ws', pattern: 's', name: 'ticks', arity: 0 } as wirerpc.Route<(options?: wirerpc.WsSubscribeOptions) => wirerpc.Subscription<number>>,
}

const SERVERS: { name: string; options: ThrownServerOptions }[] = [
  { name: 'debug, a logger', options: { debug: true, logger: 'count', onError: 'count' } },
  { name: 'no debug, a logger and an onError that throw', options: { debug: false, logger: 'throw', onError: 'throw' } },
  { name: 'no debug, the default onError', options: { debug: false, logger: 'none', onError: 'default' } },
]

describe.each(SERVERS)('thrown values, $name', ({ name, options }) => {
  const { debug } = options
  /** onError calls can be counted (not with the default onError). */
  const counted = options.onError !== 'default'
  let server: ServerChild<ThrownServerStats>
  let hostile: RawClient
  let client: ReturnType<typeof defineClient<typeof api>>
  const ticks: number[] = []
  let ticksEnded: unknown = 'not yet'
  let calls = 0
  /** onError calls the cases so far owe. */
  let reports = 0

  beforeAll(async () => {
    server = await startServerProcess<ThrownServerStats>({ script: SCRIPT, serve: { ...options }, quiet: !counted })
    hostile = await connect(server.wsUrl)
    client = defineClient(api, { prefixUrl: server.url })
    void (async () => {
      try {
        for await (const tick of client.ticks()) ticks.push(tick)
        ticksEnded = 'ended'
      } catch (error) {
        ticksEnded = error
      }
    })()
    await until(() => ticks.length > 0, 5000, () => `no tick yet (${String(ticksEnded)})`)
  })

  afterAll(async () => {
    connectionOf(client)?.close()
    await hostile?.close()
    const exit = await server?.terminate()
    expect(exit?.code).toBe(0)
  })

  /**
   * After each case: the onError calls it owes arrived (and no more), nothing went unhandled or
   * uncaught, and the well-behaved client is still answered over WebSocket and HTTP.
   */
  async function carriesOn(what: string, owed: number): Promise<void> {
    reports += owed
    if (counted) await expect.poll(async () => (await server.stats()).onError, { timeout: 5000, message: `${what}: onError calls` }).toBe(reports)
    const stats = await server.stats()
    expect({ alive: server.alive(), unhandledRejections: stats.unhandledRejections, uncaughtExceptions: stats.uncaughtExceptions }, what).toEqual({
      alive: true,
      unhandledRejections: 0,
      uncaughtExceptions: 0,
    })
    const n = ++calls
    expect(await client.ok(n), what).toBe(n)
    expect((await fetch(`${server.url}ok`)).status, what).toBe(200)
  }

  /** Runs `run` for every shape, then checks that the subscription of the well-behaved client ticked on. */
  async function everyShape(run: (kind: Shape) => Promise<void>): Promise<void> {
    const before = ticks.length
    for (const kind of SHAPE_NAMES) await run(kind)
    await until(() => ticks.length > before, 5000, () => `the well-behaved subscription stopped (${String(ticksEnded)})`)
    expect(ticksEnded).toBe('not yet')
  }

  const unexpected = (kind: Shape) => !HTTP_SHAPES.has(kind)

  /** The documented JSON-RPC error for a thrown `kind`. */
  function expectWsError(error: unknown, kind: Shape, what: string): void {
    if (!unexpected(kind)) return void expect(error, what).toEqual({ code: 401, message: 'Sign in first.' })
    if (!debug) return void expect(error, what).toEqual({ code: -32603, message: 'Internal error.' })
    expect(error, what).toEqual({ code: -32603, message: 'Internal error.', data: { message: expect.any(String), ...stackOf(error) } })
  }

  /** The documented HTTP error for a thrown `kind`: 401 with its message, or 500 (details with `debug` only). */
  async function expectHttpError(response: Response, kind: Shape, what: string): Promise<void> {
    const text = await response.text()
    if (!unexpected(kind)) return void expect({ status: response.status, body: JSON.parse(text) }, what).toEqual({ status: 401, body: { message: 'Sign in first.' } })
    expect(response.status, what).toBe(500)
    if (!debug) return void expect(text, what).toBe('')
    const body = JSON.parse(text) as unknown
    expect(body, what).toEqual({ message: expect.any(String), ...stackOf({ data: body }) })
  }

  it("answers a request handler that throws, one whose promise rejects, and one whose result's then throws", async () => {
    await everyShape(async (kind) => {
      for (const method of ['requestThrows', 'requestRejects', 'requestThenThrows']) {
        const response = await hostile.call(method, [kind])
        expectWsError(response['error'], kind, `${method}(${kind})`)
        await carriesOn(`${method}(${kind})`, unexpected(kind) ? 1 : 0)
      }
    })
  })

  it('ends a subscription whose generator throws before its first item, and after it', async () => {
    await everyShape(async (kind) => {
      const first = await hostile.call('subscriptionThrowsFirst', [kind])
      expectWsError(first['error'], kind, `subscriptionThrowsFirst(${kind})`)
      await carriesOn(`subscriptionThrowsFirst(${kind})`, unexpected(kind) ? 1 : 0)
      const id = `later-${kind}`
      const later = await hostile.call('subscriptionThrowsLater', [kind], id)
      expect(hostile.messages.some((message: any) => message.method === '$/next' && message.params.id === id && message.params.value === 1)).toBe(true)
      expectWsError(later['error'], kind, `subscriptionThrowsLater(${kind})`)
      await carriesOn(`subscriptionThrowsLater(${kind})`, unexpected(kind) ? 1 : 0)
    })
  })

  it('answers a call whose ctx.defer callback throws, and reports what it threw', async () => {
    await everyShape(async (kind) => {
      expect(await hostile.call('deferThrows', [kind])).toMatchObject({ result: 'ok' })
      await carriesOn(`deferThrows(${kind})`, 1)
    })
  })

  it('cancels a subscription whose finally, or whose iterator return(), throws', async () => {
    await everyShape(async (kind) => {
      for (const method of ['finallyThrows', 'returnThrows']) {
        const id = `${method}-${kind}`
        // One item of credit: the generator then waits at its yield, where return() finds it.
        hostile.send({ jsonrpc: '2.0', method: '$/credit', params: { id, credit: 1 } })
        const answer = hostile.call(method, [kind], id)
        await hostile.waitFor((message: any) => message.method === '$/next' && message.params.id === id)
        hostile.send({ jsonrpc: '2.0', method: '$/cancel', params: { id } })
        expect((await answer)['error'], `${method}(${kind})`).toMatchObject({ code: -32800 })
        await carriesOn(`${method}(${kind})`, 1)
      }
    })
  })

  it('closes a connection whose close listener throws', async () => {
    await everyShape(async (kind) => {
      const socket = await connect(server.wsUrl)
      expect(await socket.call('closeListenerThrows', [kind])).toMatchObject({ result: 'ok' })
      await socket.close()
      await carriesOn(`closeListenerThrows(${kind})`, 1)
    })
  })

  it('answers every call of a connection whose route middleware threw', async () => {
    await everyShape(async (kind) => {
      const socket = await connect(`${server.wsUrl}?throw=${kind}`)
      // The chain runs once per connection: both calls get its error, reported once.
      for (let i = 0; i < 2; i++) expectWsError((await socket.call('guardedWs', []))['error'], kind, `guardedWs ?throw=${kind}`)
      await socket.close()
      await carriesOn(`guardedWs ?throw=${kind}`, unexpected(kind) ? 1 : 0)
    })
  })

  it('refuses an upgrade whose authorize throws: 500 without details, or the HTTP error', async () => {
    await everyShape(async (kind) => {
      const refusal = await upgrade(`${server.wsUrl}?authorize=${kind}`)
      if (unexpected(kind)) expect(refusal, `authorize ${kind}`).toEqual({ status: 500, body: '' })
      else expect({ status: refusal.status, body: JSON.parse(refusal.body) }, `authorize ${kind}`).toEqual({ status: 401, body: { message: 'Sign in first.' } })
      await carriesOn(`authorize ${kind}`, unexpected(kind) ? 1 : 0)
    })
  })

  it('answers an HTTP handler, a route middleware and a stream that throw before their first item', async () => {
    await everyShape(async (kind) => {
      for (const path of [`throws/${kind}`, `guarded?throw=${kind}`, `stream-throws-first/${kind}`]) {
        await expectHttpError(await fetch(`${server.url}${path}`), kind, `GET /${path}`)
        await carriesOn(`GET /${path}`, unexpected(kind) ? 1 : 0)
      }
    })
  })

  it('ends an HTTP stream that throws after its first item with an error record', async () => {
    await everyShape(async (kind) => {
      const response = await fetch(`${server.url}stream-throws-later/${kind}`)
      expect(response.status).toBe(200)
      const records = (await response.text()).split('\u001e').filter(Boolean).map((text) => JSON.parse(text) as unknown)
      const what = `GET /stream-throws-later/${kind}`
      if (!unexpected(kind)) expect(records, what).toEqual([1, { $error: { message: 'Sign in first.', status: 401 } }])
      else if (!debug) expect(records, what).toEqual([1, { $error: { message: 'Internal Server Error', status: 500 } }])
      else expect(records, what).toEqual([1, { $error: { message: expect.any(String), status: 500, ...stackOf({ data: (records[1] as { $error: object }).$error }) } }])
      await carriesOn(what, unexpected(kind) ? 1 : 0)
    })
  })

  it('reports what the finally of an HTTP stream throws when its client goes away', async () => {
    await everyShape(async (kind) => {
      const abort = new AbortController()
      const response = await fetch(`${server.url}stream-finally-throws/${kind}`, { signal: abort.signal })
      await response.body!.getReader().read()
      abort.abort()
      await carriesOn(`GET /stream-finally-throws/${kind}, then gone`, 1)
    })
  })

  it('reported every unexpected error once, to onError and the logger, or to the console', async () => {
    record('thrown-values', [
      {
        section: 'thrown values',
        test: `every shape of thrown value from every place user code runs; ${name}`,
        load: `${SHAPE_NAMES.length} shapes, ${calls} cases (WebSocket and HTTP), one server in a child process`,
        result: `0 crashes, 0 unhandled rejections, 0 uncaught exceptions; ${calls}/${calls} cases answered as documented, then the well-behaved client answered; ${counted ? `${reports} onError calls, as owed` : 'reports on the console'}`,
      },
    ])
    if (!counted) {
      // console.error prints the value itself, or its description when printing it throws.
      const output = server.errorOutput.join('')
      expect(output).toContain('[wirerpc] unexpected error in a WebSocket route: [Object: null prototype] {}')
      expect(output).toContain('[wirerpc] unexpected error in a route: Non-Error thrown: an object\n')
      expect(output).toContain('[wirerpc] unexpected error in authorize: <Revoked Proxy>')
      return
    }
    const stats = await server.stats()
    expect(stats.onError).toBe(reports)
    // A throwing onError is itself logged: one more error line each time.
    expect(stats.loggedErrors).toBe(options.onError === 'throw' ? 2 * reports : reports)
  })
})

/** `{ stack: any string }` when the error's data has a stack: data holds a message and maybe a stack, nothing else. */
function stackOf(error: unknown): { stack?: unknown } {
  const data = (error as { data?: { stack?: unknown } }).data
  return data && 'stack' in data ? { stack: expect.any(String) } : {}
}

/** The status and body with which the server refuses an upgrade (101 when it accepts it). */
function upgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    socket.on('unexpected-response', (request, response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body })
        request.destroy()
      })
    })
    socket.on('open', () => {
      resolve({ status: 101, body: '' })
      socket.close()
    })
    socket.on('error', reject)
  })
}
