// Validation failures, thrown errors and hostile input: each gets its documented status and body,
// and the server keeps answering.
import { describe, expect, it } from 'vitest'
import manifest from './fixtures/manifest.js'
import { startServer } from './helpers.js'

const errors: unknown[] = []
const server = await startServer(manifest, { prefix: '/api', onError: (error) => errors.push(error) })
const api = (path: string, init?: RequestInit) => fetch(server.url + path, init)
const post = (path: string, body: string, type = 'application/json') =>
  api(path, { method: 'POST', headers: { 'content-type': type }, body })

describe('validation', () => {
  it('answers 400 naming the path and value of a wrongly typed path param', async () => {
    const response = await api('posts/abc')
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ message: 'Invalid path: /id must be number.', path: '/id', in: 'path', value: 'abc' })
  })

  it('answers 400 naming the first bad field of a nested query value', async () => {
    const response = await api('search?filter[author][name]=x&filter[author][verified]=maybe&filter[minScore]=1&filter[deleted]&ids[0]=1&since=2020-01-01T00:00:00Z&empty=&none[]')
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ path: '/filter/author/verified', in: 'query', value: 'maybe' })
  })

  it('answers 400 for an unknown query property', async () => {
    const response = await api('posts/1?fulll=true')
    expect(await response.json()).toEqual({
      message: 'Invalid query string: /fulll is not a known property; remove it.',
      path: '/fulll',
      in: 'query',
      value: 'true',
    })
  })

  it('answers 400 for a missing required body field', async () => {
    const response = await post('posts', '{}')
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ message: 'Invalid request body: /title is required.', path: '/title', in: 'body' })
  })

  it('answers 400 for a body value that breaks a constraint', async () => {
    const response = await post('posts', JSON.stringify({ title: 'x'.repeat(250) }))
    expect(response.status).toBe(400)
    const body = await response.json()
    expect(body.path).toBe('/title')
    expect(body.message).toMatch(/140/)
    expect(body).not.toHaveProperty('value') // too long to echo
  })

  it('answers 400 for a Date field that is not an ISO date', async () => {
    const response = await post('posts', JSON.stringify({ title: 'x', at: 'yesterday' }))
    expect(await response.json()).toMatchObject({ path: '/at', in: 'body' })
  })

  it('answers 400 for malformed JSON', async () => {
    const response = await post('posts', '{"title":')
    expect(response.status).toBe(400)
    expect((await response.json()).message).toMatch(/^Invalid JSON in the request body/)
  })

  it('answers 415 for a non-JSON body on a JSON route', async () => {
    const response = await post('posts', 'title=x', 'application/x-www-form-urlencoded')
    expect(response.status).toBe(415)
    expect((await response.json()).message).toMatch(/send "content-type: application\/json"/)
  })

  it('answers 415 for a JSON body sent without a content type, which browsers send cross-site without a preflight', async () => {
    const response = await api('posts', { method: 'POST', body: new TextEncoder().encode('{"title":"x"}') })
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.status).toBe(415)
    expect((await response.json()).message).toBe('Missing content type: this route takes a JSON body; send "content-type: application/json".')
  })

  it('answers 400 for malformed percent-encoding in the path', async () => {
    const response = await api('files/%E0%A4%A')
    expect(response.status).toBe(400)
    expect((await response.json()).message).toMatch(/not valid percent-encoding/)
  })

  it('answers 400 for a query nested beyond the depth limit', async () => {
    const response = await api(`search?a${'[b]'.repeat(20)}=1`)
    expect(response.status).toBe(400)
    expect((await response.json()).message).toMatch(/nests deeper than 16 levels/)
  })
})

describe('prototype pollution', () => {
  it.each([
    ['posts?__proto__[limit]=1', '/__proto__'],
    ['posts?constructor[prototype][limit]=1', '/constructor'],
    ['posts?tags[__proto__]=x', '/tags/__proto__'],
  ])('rejects the query %s with 400', async (path, at) => {
    const response = await api(path)
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ path: at, in: 'query' })
  })

  it.each([
    ['{"__proto__":{"admin":true},"title":"x"}', '/__proto__'],
    ['{"title":"x","nested":{"constructor":{"prototype":{"admin":true}}}}', '/nested/constructor'],
  ])('rejects the JSON body %s with 400', async (body, at) => {
    const response = await post('posts', body)
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ path: at, in: 'body' })
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined()
  })
})

describe('thrown errors', () => {
  it.each([400, 401, 403, 404, 409, 410, 413, 415, 422, 429, 500, 503])('answers %i for the matching error class', async (status) => {
    const response = await api(`fail/${status}`)
    expect(response.status).toBe(status)
    expect(await response.json()).toEqual({ message: `thrown ${status}` })
  })

  it('sends data attached to an HTTP error', async () => {
    const response = await api('fail/with-data')
    expect(response.status).toBe(422)
    expect(await response.json()).toEqual({ message: 'bad title', data: { field: 'title' } })
  })

  it('sends headers attached to an HTTP error', async () => {
    const response = await api('fail/retry-after')
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('7')
    expect(await response.json()).toEqual({ message: 'Too Many Requests' })
  })

  it('adds the error headers to a response given as `res`, even one with immutable headers', async () => {
    const response = await api('fail/immutable-res', { redirect: 'manual' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('http://127.0.0.1/login')
    expect(response.headers.get('x-reason')).toBe('login')
  })

  it('sends a thrown JSONResponse as is', async () => {
    const response = await api('fail/json-response')
    expect(response.status).toBe(418)
    expect(await response.json()).toEqual({ custom: true })
  })

  it('answers 500 with message and stack outside production, and reports the error', async () => {
    const before = errors.length
    const response = await api('fail/plain')
    expect(response.status).toBe(500)
    const body = await response.json()
    expect(body.message).toBe('kaboom')
    expect(body.stack).toMatch(/routes\.ts/)
    expect(errors.length).toBe(before + 1)
  })

  it('answers 500 for a thrown non-Error value', async () => {
    const response = await api('fail/string')
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({ message: 'Non-Error thrown: a string' })
  })

  it('answers 500 for an HTTP error whose data is not JSON, and reports why', async () => {
    const before = errors.length
    const response = await api('fail/data-not-json')
    expect(response.status).toBe(500)
    expect((await response.json()).message).toMatch(/BigInt/)
    expect(errors.slice(before)).toEqual([expect.any(TypeError)])
  })

  it('keeps serving after every kind of failure', async () => {
    const response = await api('posts/1')
    expect(await response.json()).toEqual({ id: 1, full: false })
  })
})

describe('production mode', async () => {
  const production = await startServer(manifest, { debug: false })

  it('answers 500 with an empty body', async () => {
    const response = await fetch(production.url + 'fail/plain')
    expect(response.status).toBe(500)
    expect(await response.text()).toBe('')
  })

  it('hides the message of an unexpected error in a stream error record', async () => {
    const text = await (await fetch(production.url + 'failing-stream?at=1')).text()
    expect(text).toBe('\u001e0\n\u001e{"$error":{"message":"Internal Server Error","status":500}}\n')
  })

  it('still sends the message of HTTP errors', async () => {
    expect(await (await fetch(production.url + 'fail/404')).json()).toEqual({ message: 'thrown 404' })
  })
})
