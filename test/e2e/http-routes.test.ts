// Routes, data and results over a real serve() on 127.0.0.1, spoken to with plain fetch so that the
// wire format itself is under test (the typed client has its own suite in test/client).
import { describe, expect, it } from 'vitest'
import { encodeQuery } from 'wirerpc/protocol'
import manifest from './fixtures/manifest.js'
import { abortState, streamState } from './fixtures/routes.js'
import { readRecords, startServer } from './helpers.js'

const server = await startServer(manifest, { prefix: '/api' })
const api = (path: string, init?: RequestInit) => fetch(server.url + path, init)
const json = (body: unknown, method = 'POST'): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

describe('handler arity', () => {
  it('passes only data and ctx to a route without path params', async () => {
    const response = await api('posts?limit=5&tags[0]=a&tags[1]=b')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ query: { limit: 5, tags: ['a', 'b'] } })
  })

  it('passes one path param, coerced by type, before data', async () => {
    expect(await (await api('posts/42?full=true')).json()).toEqual({ id: 42, full: true })
  })

  it('passes several path params as an array in path order', async () => {
    expect(await (await api('posts/7/comments/c9')).json()).toEqual({ postId: 7, commentId: 'c9' })
  })

  it('splits a rest param into decoded segments when its type is an array', async () => {
    expect(await (await api('files/a/b%20c/d.txt')).json()).toEqual({ path: ['a', 'b c', 'd.txt'] })
  })

  it('passes path params and a JSON body to PATCH handlers', async () => {
    expect(await (await api('posts/3', json({ title: 'new' }, 'PATCH'))).json()).toEqual({ id: 3, title: 'new' })
  })
})

describe('request data', () => {
  it('round-trips nested objects, arrays, numbers, booleans, null, empty values and dates in the query', async () => {
    const data = {
      filter: { author: { name: 'Ada', verified: false }, minScore: 2.5, deleted: null },
      ids: [1, 2, 3],
      since: new Date('2024-05-06T07:08:09.000Z'),
      empty: '',
      none: [],
    }
    const response = await api(`search?${encodeQuery(data)}`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ query: { ...data, since: '2024-05-06T07:08:09.000Z' } })
  })

  it('decodes ISO strings in a JSON body to Date for Date-typed fields', async () => {
    const response = await api('posts', json({ title: 'hi', at: '2020-01-02T03:04:05.000Z' }))
    expect(await response.json()).toEqual({ title: 'hi', at: '2020-01-02T03:04:05.000Z' })
  })

  it('reads an empty POST body as an empty object', async () => {
    const response = await api('created', { method: 'POST' })
    expect(response.status).toBe(201)
  })

  it('passes multipart FormData through to raw-body routes', async () => {
    const form = new FormData()
    form.set('name', 'report')
    form.set('file', new Blob(['12345'], { type: 'text/plain' }), 'report.txt')
    const response = await api('upload', { method: 'POST', body: form })
    expect(await response.json()).toEqual({ kind: 'form', name: 'report', fileSize: 5 })
  })

  it('passes other content types through to raw-body routes as a Blob', async () => {
    const response = await api('upload', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(10) })
    expect(await response.json()).toEqual({ kind: 'blob', type: 'application/octet-stream', size: 10 })
  })
})

describe('results', () => {
  it('passes a raw Response through with its status and headers', async () => {
    const response = await api('raw')
    expect(response.status).toBe(202)
    expect(response.headers.get('x-raw')).toBe('yes')
    expect(await response.text()).toBe('plain text')
  })

  it('answers 204 with no body when a handler returns nothing', async () => {
    const response = await api('posts/1', { method: 'DELETE' })
    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
  })

  it('lets a handler choose status and headers with JSONResponse', async () => {
    const response = await api('created', { method: 'POST' })
    expect(response.status).toBe(201)
    expect(response.headers.get('location')).toBe('/posts/1')
    expect(await response.json()).toEqual({ ok: true })
  })

  it('streams an async generator as a JSON text sequence ending with pagination links', async () => {
    const response = await api('stream?offset=3&limit=3')
    expect(response.headers.get('content-type')).toBe('application/json-seq')
    expect(await readRecords(response)).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }, { $prev: 'stream?offset=0&limit=3', $next: 'stream?offset=6&limit=3' }])
  })

  it('gives null links at the ends of the collection', async () => {
    const records = await readRecords(await api('stream?offset=6&limit=3'))
    expect(records).toEqual([{ n: 6 }, { $prev: 'stream?offset=3&limit=3', $next: null }])
  })

  it('ends a stream with an error record when the generator throws mid-stream', async () => {
    const records = await readRecords(await api('failing-stream?at=2'))
    expect(records.slice(0, 2)).toEqual([0, 1])
    expect(records[2]).toMatchObject({ $error: { status: 500, message: 'stream broke' } })
    expect(records).toHaveLength(3)
  })

  it('keeps the status of an HTTP error thrown mid-stream in the error record', async () => {
    const records = await readRecords(await api('failing-stream?at=1&http=true'))
    expect(records).toEqual([0, { $error: { status: 409, message: 'stream conflict' } }])
  })

  it('answers with the error status when a generator throws before its first item', async () => {
    const response = await api('failing-stream?at=0&http=true')
    expect(response.status).toBe(409)
    expect(await response.json()).toEqual({ message: 'stream conflict' })
  })

  it('stops the generator (its finally runs) when the client goes away mid-stream', async () => {
    const before = streamState.finallyRan
    const controller = new AbortController()
    const response = await api('endless', { signal: controller.signal })
    const reader = response.body!.getReader()
    await reader.read()
    controller.abort()
    await expect.poll(() => streamState.finallyRan, { timeout: 2000 }).toBe(before + 1)
  })
})

describe('ctx.signal', () => {
  it('aborts when the client disconnects mid-request', async () => {
    const before = abortState.aborted
    const controller = new AbortController()
    const pending = api('wait-for-abort', { signal: controller.signal }).catch(() => 'aborted')
    await new Promise((resolve) => setTimeout(resolve, 50))
    controller.abort()
    expect(await pending).toBe('aborted')
    await expect.poll(() => abortState.aborted, { timeout: 2000 }).toBe(before + 1)
  })
})

describe('HEAD', () => {
  it('answers HEAD on GET routes with the headers and no body', async () => {
    const response = await api('posts/1', { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.text()).toBe('')
  })

  it('stops a streaming generator it started for HEAD', async () => {
    const before = streamState.finallyRan
    const response = await api('endless', { method: 'HEAD' })
    expect(response.status).toBe(200)
    await expect.poll(() => streamState.finallyRan, { timeout: 2000 }).toBe(before + 1)
  })
})

describe('routing', () => {
  it('answers 404 with a JSON message for an unknown path', async () => {
    const response = await api('nowhere')
    expect(response.status).toBe(404)
    expect((await response.json()).message).toMatch(/No route matches \/api\/nowhere/)
  })

  it('answers 404 outside the prefix', async () => {
    expect((await fetch(`http://127.0.0.1:${server.port}/posts`)).status).toBe(404)
  })

  it('answers 405 with Allow for a known path and an unknown method', async () => {
    const response = await api('posts/1', json({}, 'PUT'))
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, PATCH, DELETE, HEAD, OPTIONS')
    expect((await response.json()).message).toMatch(/Method PUT is not allowed/)
  })

  it('answers a plain OPTIONS request with 204 and Allow', async () => {
    const response = await api('posts', { method: 'OPTIONS' })
    expect(response.status).toBe(204)
    expect(response.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS')
  })
})
