import type { RunningServer } from 'wirerpc/node'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { defineClient, HTTPError, type ClientError } from 'wirerpc/client'
import * as api from './fixtures/client-api.js'
import { startServer } from './fixtures/server.js'

let server: RunningServer

beforeAll(async () => {
  server = await startServer()
})

afterAll(() => server.close())

afterEach(() => {
  vi.unstubAllGlobals()
})

/** A `fetch` that records each request's URL and answers `{}` without any network. */
function recordingFetch() {
  const urls: string[] = []
  const fetch = async (request: Request) => {
    urls.push(request.url)
    return Response.json({})
  }
  return { urls, fetch }
}

describe('hooks', () => {
  test('sends a header that a beforeRequest hook adds', async () => {
    const client = defineClient(api, {
      prefixUrl: server.url,
      hooks: { beforeRequest: [(request) => void request.headers.set('x-trace', 'abc')] },
    })
    await expect(client.echoHeaders()).resolves.toMatchObject({ 'x-trace': 'abc' })
  })

  test('uses the Request a beforeRequest hook returns, and skips the network for a Response', async () => {
    const client = defineClient(api, {
      prefixUrl: server.url,
      hooks: { beforeRequest: [(request) => new Request(request, { headers: { 'x-replaced': 'yes' } })] },
    })
    await expect(client.echoHeaders()).resolves.toMatchObject({ 'x-replaced': 'yes' })
    const fetch = vi.fn(globalThis.fetch)
    const offline = defineClient(api, { prefixUrl: server.url, fetch, hooks: { beforeRequest: [() => Response.json({ pong: false })] } })
    await expect(offline.ping()).resolves.toEqual({ pong: false })
    expect(fetch).not.toHaveBeenCalled()
  })

  test('resolves with the response an afterResponse hook returns instead', async () => {
    const seen: number[] = []
    const client = defineClient(api, {
      prefixUrl: server.url,
      hooks: {
        afterResponse: [
          (_request, _options, response) => void seen.push(response.status),
          async (_request, _options, response) => Response.json({ ...((await response.json()) as object), replaced: true }),
        ],
      },
    })
    await expect(client.ping()).resolves.toEqual({ pong: true, replaced: true })
    expect(seen).toEqual([200])
  })

  test('rejects with the error a beforeError hook returns', async () => {
    const client = defineClient(api, {
      prefixUrl: server.url,
      hooks: {
        beforeError: [
          (error) => {
            error.message = `[api] ${error.message}`
            return error
          },
        ],
      },
    })
    const error: HTTPError = await client.conflict().catch((error) => error)
    expect(error).toBeInstanceOf(HTTPError)
    expect(error.message).toMatch(/^\[api\] POST .*conflict failed with status 409: already exists$/)
  })

  test('runs client hooks before call hooks, each once per attempt', async () => {
    const order: string[] = []
    const client = defineClient(api, {
      prefixUrl: server.url,
      retry: { backoffLimit: 0 },
      hooks: { beforeRequest: [(_request, options) => void order.push(`client ${options.retryCount}`)] },
    })
    await client.flaky(
      { key: 'hook-order', failures: 1, retryAfter: '0' },
      { hooks: { beforeRequest: [(_request, options) => void order.push(`call ${options.retryCount}`)] } },
    )
    expect(order).toEqual(['client 0', 'call 0', 'client 1', 'call 1'])
  })
})

describe('errorMode', () => {
  test("resolves to [undefined, result] or [error, undefined] with errorMode: 'return'", async () => {
    const client = defineClient(api, { prefixUrl: server.url, errorMode: 'return' })
    await expect(client.getPost(1)).resolves.toEqual([undefined, { id: 1, title: 'Post 1' }])
    await expect(client.touch()).resolves.toEqual([undefined, undefined])
    const [error, result] = await client.conflict()
    expect(result).toBeUndefined()
    expect(error).toBeInstanceOf(HTTPError)
    expect((error as HTTPError).status).toBe(409)
  })

  test("resolves to an error tuple for a bad argument with errorMode: 'return'", async () => {
    const client = defineClient(api, { prefixUrl: server.url, errorMode: 'return' })
    const [error] = await client.getComment({ postId: 1 } as never)
    expect(error).toBeInstanceOf(TypeError)
  })

  test("leaves streams as iterators that throw with errorMode: 'return'", async () => {
    const client = defineClient(api, { prefixUrl: server.url, errorMode: 'return' })
    await expect(client.listPosts().toArray()).resolves.toHaveLength(2)
    await expect(client.failingStream().toArray()).rejects.toBeInstanceOf(HTTPError)
  })
})

describe('extend', () => {
  test('merges headers by name, the extension winning, and leaves the original client as it was', async () => {
    const base = defineClient(api, { prefixUrl: server.url, headers: { 'x-a': '1', 'x-b': '1', 'x-gone': 'soon' } })
    const extended = base.extend({ headers: { 'x-b': '2', 'x-c': '3', 'x-gone': undefined } })
    const headers = await extended.echoHeaders()
    expect(headers).toMatchObject({ 'x-a': '1', 'x-b': '2', 'x-c': '3' })
    expect(headers).not.toHaveProperty('x-gone')
    await expect(base.echoHeaders()).resolves.toMatchObject({ 'x-a': '1', 'x-b': '1', 'x-gone': 'soon' })
  })

  test("switches the error mode with extend({ errorMode: 'return' })", async () => {
    const client = defineClient(api, { prefixUrl: server.url }).extend({ errorMode: 'return' })
    const [error, result] = await client.ping()
    expect(error).toBeUndefined()
    expect(result).toEqual({ pong: true })
  })

  test('lets call headers override client headers, and calls a headers function for every call', async () => {
    let token = 0
    const client = defineClient(api, { prefixUrl: server.url, headers: async () => ({ authorization: `Bearer ${++token}`, 'x-a': 'client' }) })
    await expect(client.echoHeaders()).resolves.toMatchObject({ authorization: 'Bearer 1', 'x-a': 'client' })
    await expect(client.echoHeaders({ headers: new Headers({ 'x-a': 'call' }) })).resolves.toMatchObject({ authorization: 'Bearer 2', 'x-a': 'call' })
  })
})

describe('fetch and prefixUrl', () => {
  test('sends every request through the fetch option', async () => {
    const fetch = vi.fn((request: Request) => globalThis.fetch(request))
    const client = defineClient(api, { prefixUrl: server.url, fetch })
    await client.getPost(3)
    expect(fetch).toHaveBeenCalledTimes(1)
    const request = fetch.mock.calls[0]![0]
    expect(request.url).toBe(`${server.url}posts/3`)
  })

  test('adds the trailing slash a prefixUrl lacks', async () => {
    const { urls, fetch } = recordingFetch()
    await defineClient(api, { prefixUrl: 'https://api.example.com/v1', fetch }).getPost(1)
    expect(urls).toEqual(['https://api.example.com/v1/posts/1'])
  })

  test('resolves a relative prefixUrl against location.href', async () => {
    vi.stubGlobal('location', { href: 'https://app.example.com/dashboard/page?tab=1' })
    const { urls, fetch } = recordingFetch()
    await defineClient(api, { prefixUrl: '/api', fetch }).getPost(1)
    await defineClient(api, { prefixUrl: 'rpc/', fetch }).ping()
    await defineClient(api, { fetch }).ping()
    expect(urls).toEqual(['https://app.example.com/api/posts/1', 'https://app.example.com/dashboard/rpc/ping', 'https://app.example.com/ping'])
  })

  test('reaches the real server through a relative prefixUrl', async () => {
    vi.stubGlobal('location', { href: `http://127.0.0.1:${server.port}/some/page` })
    await expect(defineClient(api, { prefixUrl: '/' }).ping()).resolves.toEqual({ pong: true })
  })

  test('rejects a relative prefixUrl where there is no location', async () => {
    const client = defineClient(api, { prefixUrl: '/api/' })
    await expect(client.ping()).rejects.toThrow(/"\/api\/" is relative, and there is no page location/)
  })

  test('maps a ws:// prefixUrl to http:// and wss:// to https://', async () => {
    const client = defineClient(api, { prefixUrl: `ws://127.0.0.1:${server.port}/` })
    await expect(client.ping()).resolves.toEqual({ pong: true })
    const { urls, fetch } = recordingFetch()
    await defineClient(api, { prefixUrl: 'wss://api.example.com/rpc', fetch }).ping()
    expect(urls).toEqual(['https://api.example.com/rpc/ping'])
  })

  test('rejects invalid options when the client is defined', () => {
    expect(() => defineClient(api, { timeout: -1 })).toThrow(/Invalid `timeout` -1/)
    expect(() => defineClient(api, { retry: 1.5 })).toThrow(/Invalid retry limit 1.5/)
    expect(() => defineClient(api, { errorMode: 'ignore' as never })).toThrow(/Invalid `errorMode`/)
  })

  test('rejects a manifest whose route is named like a client method, or whose entry is malformed', () => {
    expect(() => defineClient({ extend: api.ping })).toThrow(/Route "extend" clashes with the client's own `extend\(\)` method/)
    expect(() => defineClient({ broken: { ...api.ping, arity: 3 } as never })).toThrow(/Route "broken" is not a valid client manifest entry/)
  })
})

describe('errors', () => {
  test('exposes a stable code on every client error', async () => {
    const codes: (string | number)[] = []
    const client = defineClient(api, {
      prefixUrl: server.url,
      retry: 0,
      hooks: { beforeError: [(error: ClientError) => (codes.push(error.code), error)] },
    })
    await client.conflict().catch(() => {})
    await client.slow({ key: 'codes', ms: 2000 }, { timeout: 0.05 }).catch(() => {})
    expect(codes).toEqual(['WIRERPC_ERR_HTTP', 'WIRERPC_ERR_TIMEOUT'])
  })
})
