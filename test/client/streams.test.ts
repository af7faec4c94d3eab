import { describe, expect, test, vi } from 'vitest'
import { defineClient, HTTPError, type ResponseStream } from 'wirerpc/client'
import * as api from './fixtures/client-api.js'
import { observed } from './fixtures/routes.js'
import { startWithClient } from './fixtures/server.js'

const { server, client } = await startWithClient()

describe('json-seq results', () => {
  test('iterates the items a generator yields with for await', async () => {
    const ids: number[] = []
    for await (const post of client.listPosts()) ids.push(post.id)
    expect(ids).toEqual([1, 2])
  })

  test('collects the items with toArray()', async () => {
    await expect(client.listPosts({ page: 2 }).toArray()).resolves.toEqual([
      { id: 3, title: 'Post 3' },
      { id: 4, title: 'Post 4' },
    ])
  })

  test('sends no request until the stream is read', async () => {
    const fetch = vi.fn(globalThis.fetch)
    const stream = defineClient(api, { prefixUrl: server.url, fetch }).listPosts()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(fetch).not.toHaveBeenCalled()
    await stream.toArray()
    expect(fetch).toHaveBeenCalledTimes(1)
  })
})

describe('pagination', () => {
  test('follows $next links with nextPage() until it returns null', async () => {
    const pages: number[][] = []
    let stream: ResponseStream<api.Post> | null = client.listPosts()
    while (stream) {
      pages.push((await stream.toArray()).map((post) => post.id))
      stream = stream.nextPage()
    }
    expect(pages).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ])
  })

  test('follows the $prev link with previousPage(), and returns null on the first page', async () => {
    const third = client.listPosts({ page: 3 })
    await third.toArray()
    const second = third.previousPage()!
    await expect(second.toArray()).resolves.toEqual([
      { id: 3, title: 'Post 3' },
      { id: 4, title: 'Post 4' },
    ])
    const first = second.previousPage()!
    await first.toArray()
    expect(first.previousPage()).toBeNull()
    expect(third.nextPage()).toBeNull()
  })

  test('applies the options given to nextPage() on top of the call options', async () => {
    const urls: string[] = []
    const fetch = (request: Request) => {
      urls.push(`${request.url} ${request.headers.get('x-page') ?? '-'}`)
      return globalThis.fetch(request)
    }
    const stream = client.listPosts({}, { fetch })
    await stream.toArray()
    await stream.nextPage({ headers: { 'x-page': 'two' } })!.toArray()
    expect(urls).toEqual([`${server.url}posts -`, `${server.url}posts?page=2 two`])
  })

  test('throws when asked for a page before the stream has been read to the end', async () => {
    const stream = client.listPosts()
    expect(() => stream.nextPage()).toThrow(/read this stream to its end first/)
    await stream.next()
    expect(() => stream.previousPage()).toThrow(/read this stream to its end first/)
    await stream.return()
  })
})

describe('stream errors and cancellation', () => {
  test('throws an HTTPError with the status and message of an $error record after the items before it', async () => {
    const items: number[] = []
    const error = await (async () => {
      for await (const item of client.failingStream()) items.push(item)
    })().catch((error: unknown) => error)
    expect(items).toEqual([1, 2])
    expect(error).toBeInstanceOf(HTTPError)
    expect(error).toMatchObject({ code: 'WIRERPC_ERR_HTTP', status: 409, body: { message: 'the feed changed while you read it', data: { retry: true } } })
    expect((error as HTTPError).message).toMatch(/GET .*failing-stream failed with status 409: the feed changed while you read it/)
  })

  test('throws a 500 HTTPError when the generator fails unexpectedly', async () => {
    const error: HTTPError = await client
      .failingStream({ unexpected: true })
      .toArray()
      .catch((error) => error)
    expect(error.status).toBe(500)
    expect(error.body?.message).toBe('the database went away')
  })

  test('stops the generator on the server when the loop breaks early', async () => {
    const before = observed.endlessStreamsFinished
    const items: number[] = []
    for await (const item of client.endlessStream()) {
      items.push(item)
      if (items.length === 3) break
    }
    expect(items).toEqual([0, 1, 2])
    await vi.waitFor(() => expect(observed.endlessStreamsFinished).toBe(before + 1), { timeout: 2000 })
  })

  test('return() cancels at once while a read waits on a silent server', async () => {
    const before = observed.stalledStreamsFinished
    const stream = client.stalledStream()
    await expect(stream.next()).resolves.toEqual({ done: false, value: 'first' })
    const pending = stream.next()
    await expect(stream.return()).resolves.toEqual({ done: true, value: undefined })
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    await vi.waitFor(() => expect(observed.stalledStreamsFinished).toBe(before + 1), { timeout: 2000 })
  })

  test('stops the generator on the server when the call signal aborts', async () => {
    const before = observed.endlessStreamsFinished
    const controller = new AbortController()
    const stream = client.endlessStream({ signal: controller.signal })
    await stream.next()
    controller.abort()
    await expect(stream.toArray()).rejects.toMatchObject({ name: 'AbortError' })
    await vi.waitFor(() => expect(observed.endlessStreamsFinished).toBe(before + 1), { timeout: 2000 })
  })

  test('rejects from the iterator when the request itself fails', async () => {
    const stream = client.listPosts({ page: 0 })
    await expect(stream.next()).rejects.toMatchObject({ status: 400, body: { path: '/page', in: 'query' } })
  })
})
