import { describe, expect, test } from 'vitest'
import { HTTPError } from 'wirerpc/client'
import { observed } from './fixtures/routes.js'
import { startWithClient } from './fixtures/server.js'

const { server, client } = await startWithClient()

describe('call shapes', () => {
  test('calls a route without params with only options', async () => {
    await expect(client.ping()).resolves.toEqual({ pong: true })
    await expect(client.ping({ headers: { 'x-any': '1' } })).resolves.toEqual({ pong: true })
  })

  test('resolves to undefined when the handler returns nothing (204)', async () => {
    await expect(client.touch()).resolves.toBeUndefined()
  })

  test('takes the value of a single path parameter as the whole params (shorthand)', async () => {
    await expect(client.getPost(5)).resolves.toEqual({ id: 5, title: 'Post 5' })
  })

  test('pulls path parameters out of a params object and sends the other keys as the query', async () => {
    await expect(client.getPost({ id: 7, include: 'author' })).resolves.toEqual({ id: 7, title: 'Post 7', include: 'author' })
  })

  test('percent-encodes a path parameter as one segment', async () => {
    await expect(client.getUser('ada lovelace/ä?#')).resolves.toEqual({ name: 'ada lovelace/ä?#' })
  })

  test('fills several path parameters by name', async () => {
    await expect(client.getComment({ postId: 3, commentId: 9, sort: 'desc' })).resolves.toEqual({ postId: 3, commentId: 9, sort: 'desc' })
    await expect(client.getComment({ postId: 3, commentId: 10 })).resolves.toEqual({ postId: 3, commentId: 10, sort: null })
  })

  test('fills a rest parameter from an array of segments or a string with slashes', async () => {
    await expect(client.getFile(['docs', 'a b', 'c.txt'])).resolves.toEqual({ segments: ['docs', 'a b', 'c.txt'] })
    await expect(client.getFile('docs/guide/intro.md')).resolves.toEqual({ segments: ['docs', 'guide', 'intro.md'] })
    await expect(client.getFile({ path: ['x', 'y'] })).resolves.toEqual({ segments: ['x', 'y'] })
  })

  test('rejects with a TypeError naming the route when params have the wrong shape', async () => {
    await expect(client.getComment(5 as never)).rejects.toThrow(/getComment\(\): expected a plain object with "postId", "commentId"/)
    await expect(client.getComment({ postId: 1 } as never)).rejects.toThrow(/getComment\(\): Missing path parameter "commentId"/)
  })
})

describe('request data', () => {
  test('round-trips nested objects, arrays, numbers, booleans, null and dates through the query string', async () => {
    const when = new Date('2024-02-29T12:34:56.789Z')
    const { data, types } = await client.echoQuery({
      count: 2.5,
      enabled: false,
      nothing: null,
      when,
      tags: ['a', 'b&c', 'ü'],
      empty: [],
      filter: { limit: 10, range: [1, 2.5], deep: { flag: true } },
      text: 'x=y&z',
    })
    expect(data).toEqual({
      count: 2.5,
      enabled: false,
      nothing: null,
      when: when.toISOString(),
      tags: ['a', 'b&c', 'ü'],
      empty: [],
      filter: { limit: 10, range: [1, 2.5], deep: { flag: true } },
      text: 'x=y&z',
    })
    expect(types).toMatchObject({ count: 'number', enabled: 'boolean', nothing: 'null', when: 'string', tags: 'array', filter: 'object' })
  })

  test('sends POST data as a JSON body, dates as ISO strings', async () => {
    const publishedAt = new Date('2025-01-02T03:04:05.000Z')
    await expect(client.createPost({ title: 'Hello', tags: ['x'], publishedAt })).resolves.toEqual({
      method: 'POST',
      title: 'Hello',
      tags: ['x'],
      publishedAt: '2025-01-02T03:04:05.000Z',
    })
  })

  test('sends PUT and PATCH data as a JSON body beside the path parameter', async () => {
    await expect(client.replacePost({ id: 4, title: 'New' })).resolves.toEqual({ method: 'PUT', id: 4, title: 'New' })
    await expect(client.patchPost({ id: 4, title: 'Newer' })).resolves.toEqual({ method: 'PATCH', id: 4, title: 'Newer' })
    await expect(client.patchPost(4)).resolves.toEqual({ method: 'PATCH', id: 4 })
  })

  test('sends DELETE data as the query string', async () => {
    await expect(client.deletePost({ id: 12, reason: 'spam' })).resolves.toBeUndefined()
    expect(observed.attempts.get('deleted:12:spam')).toBe(1)
  })

  test('sends FormData as the raw body with its multipart content type', async () => {
    const form = new FormData()
    form.set('name', 'report')
    form.set('file', new Blob(['file contents'], { type: 'text/plain' }), 'report.txt')
    await expect(client.upload(form)).resolves.toEqual({ name: 'report', fileName: 'report.txt', fileText: 'file contents' })
  })
})

describe('results and errors', () => {
  test('resolves to the raw Response for a response-format route', async () => {
    const response = await client.download()
    expect(response).toBeInstanceOf(Response)
    expect(response.headers.get('x-download')).toBe('yes')
    await expect(response.text()).resolves.toBe('plain text, not JSON')
  })

  test('rejects with an HTTPError carrying the 400 body that names the bad value', async () => {
    const error: HTTPError = await client.createPost({ title: 123 as never, tags: [], publishedAt: new Date() }).catch((error) => error)
    expect(error).toBeInstanceOf(HTTPError)
    expect(error.code).toBe('WIRERPC_ERR_HTTP')
    expect(error.status).toBe(400)
    expect(error.body).toMatchObject({ path: '/title', in: 'body', value: 123 })
    expect(error.message).toContain(`POST ${server.url}posts failed with status 400`)
    expect(error.message).toContain(error.body!.message)
    expect(error.request.method).toBe('POST')
    expect(error.response.status).toBe(400)
  })

  test('rejects with an HTTPError for a wrong path parameter type', async () => {
    const error: HTTPError = await client.getPost('abc' as never).catch((error) => error)
    expect(error.status).toBe(400)
    expect(error.body).toMatchObject({ path: '/id', in: 'path' })
  })

  test('keeps the data of an HTTP error a handler threw', async () => {
    const error: HTTPError = await client.conflict().catch((error) => error)
    expect(error.status).toBe(409)
    expect(error.body).toEqual({ message: 'already exists', data: { id: 7 } })
    expect(error.message).toBe(`POST ${server.url}conflict failed with status 409: already exists`)
  })

  test('rejects with an HTTPError for a route the server does not have', async () => {
    const error = (await client.missing().catch((error) => error)) as HTTPError
    expect(error.status).toBe(404)
    expect(error.body?.message).toMatch(/No route matches/)
  })
})
