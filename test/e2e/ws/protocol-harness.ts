// Shared setup of the protocol, middleware and upgrade suites: a real serve() per suite, raw
// clients closed after each test, and a probe for refused upgrades.
import { WebSocket } from 'ws'
import { afterAll, afterEach, expect } from 'vitest'
import { serve, type RunningServer, type ServeOptions } from 'wirerpc/node'
import { route, type ServerManifest } from 'wirerpc/service'
import { connect, type RawClient } from './helpers.js'
import wsManifest from './manifest.js'

/** An HTTP route served next to the WebSocket routes, to check both share the server. */
export const health = route('/health').get(async () => ({ ok: true }))

/** The WebSocket test manifest plus one HTTP route. */
export const manifest: ServerManifest = [
  ...wsManifest,
  { protocol: 'http', name: 'health', method: 'GET', path: '/health', pathParams: [], import: async () => health },
]

export interface WsServer {
  server: RunningServer
  /** `ws://127.0.0.1:<port><prefix>/ws` */
  wsUrl: string
  /** Errors passed to `onError`. */
  errors: unknown[]
  /** Opens a raw client, closed after the current test. */
  open(options?: ConstructorParameters<typeof WebSocket>[2]): Promise<RawClient>
}

const clients = new Set<RawClient>()

afterEach(async () => {
  const open = [...clients]
  clients.clear()
  await Promise.all(open.map((client) => client.close()))
})

/** Starts serve() on 127.0.0.1, port 0, for the current test file (with `extraRoutes` added); closed after all its tests. */
export async function startWsServer(options: ServeOptions = {}, extraRoutes: ServerManifest = []): Promise<WsServer> {
  const errors: unknown[] = []
  const server = await serve([...manifest, ...extraRoutes], { port: 0, hostname: '127.0.0.1', onError: (error) => void errors.push(error), shutdownTimeout: 1, ...options })
  afterAll(() => server.close())
  const wsUrl = `${server.url.replace(/^http/, 'ws')}ws`
  return {
    server,
    wsUrl,
    errors,
    async open(clientOptions) {
      const client = await connect(wsUrl, clientOptions)
      clients.add(client)
      return client
    },
  }
}

/** Waits `ms`, then asserts that no message received so far matches `predicate`. */
export async function expectNothing(client: RawClient, predicate: (message: any) => boolean, ms = 200): Promise<void> {
  await sleep(ms)
  expect(client.messages.filter(predicate)).toEqual([])
}

/** Waits `ms`, then asserts that no message received from now on matches `predicate`. */
export async function expectNothingMore(client: RawClient, predicate: (message: any) => boolean = () => true, ms = 100): Promise<void> {
  const from = client.messages.length
  await sleep(ms)
  expect(client.messages.slice(from).filter(predicate)).toEqual([])
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A JSON-RPC request message (`params` left out when not given). */
export const request = (id: unknown, method: string, params?: unknown) => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) })

/** A JSON-RPC notification message (`params` left out when not given). */
export const notification = (method: string, params?: unknown) => ({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) })

/** Is `message` the terminal response (result or error) of `id`? */
export const answerOf = (id: unknown) => (message: any) => !Array.isArray(message) && message.id === id && ('result' in message || 'error' in message)

/** Is `message` a `$/next` item of `id`? */
export const nextOf = (id: unknown) => (message: any) => !Array.isArray(message) && message.method === '$/next' && message.params?.id === id

/** Does any frame (single or inside a batch array) mention `id`? */
export const mentions = (id: unknown) => (message: any) =>
  Array.isArray(message) ? message.some((item: any) => item?.id === id) : message.id === id || message.params?.id === id

export interface UpgradeOutcome {
  /** 101 when the upgrade succeeded, else the HTTP status of the refusal. */
  status: number
  body: string
}

/** Attempts an upgrade and reports its status (and the refusal's body), waiting at most 2 s. */
export function tryUpgrade(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options)
    let settled = false
    const settle = (outcome: UpgradeOutcome | Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (outcome instanceof Error) reject(outcome)
      else resolve(outcome)
    }
    const timer = setTimeout(() => {
      socket.terminate()
      settle(new Error(`No answer to the upgrade of ${url} within 2 s`))
    }, 2000)
    socket.on('unexpected-response', (request, response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => {
        settle({ status: response.statusCode ?? 0, body })
        request.destroy()
      })
    })
    socket.on('open', () => {
      settle({ status: 101, body: '' })
      socket.close()
    })
    socket.on('error', (error) => settle(error))
  })
}
