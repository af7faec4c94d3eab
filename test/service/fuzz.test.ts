// Property test: random methods, paths, query strings, headers and bodies never produce a 5xx,
// never reject, and the handler keeps answering well-formed requests in between.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { serve } from 'wirerpc/node'
import { compileRoutes } from 'wirerpc/service'
import manifest from '../e2e/fixtures/manifest.js'

// Routes whose handlers throw or wait on purpose are left out: they test errors, not input handling.
const fuzzed = manifest.filter((entry) => !['fail', 'failingStream', 'slow', 'endless', 'waitForAbort'].includes(entry.name))
const errors: unknown[] = []
const handle = compileRoutes(fuzzed, { prefix: '/api', onError: (error) => errors.push(error), maxBodySize: 4096 })

const segment = fc.oneof(
  fc.constantFrom('api', 'posts', 'comments', 'files', 'search', 'upload', 'raw', 'stream', 'failing-stream', 'created', 'me', '1', '-1', '1e309', 'NaN', '__proto__', 'constructor', '%', '%zz', '%00', '..', '.', ''),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
  fc.string({ maxLength: 8 }),
)
const path = fc.array(segment, { maxLength: 6 }).map((parts) => '/api/' + parts.join('/'))
const queryKey = fc.oneof(
  fc.constantFrom('limit', 'tags', 'tags[0]', 'tags[]', 'full', 'offset', 'at', 'http', 'filter[author][name]', 'ids[5]', '__proto__', 'constructor[prototype]', 'a[b][c][d]', '[', ']', '[]'),
  fc.string({ maxLength: 10 }),
)
const query = fc
  .array(fc.tuple(queryKey, fc.option(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('1', 'true', 'null', '%', '2020-01-01T00:00:00Z')), { nil: undefined })), { maxLength: 8 })
  .map((pairs) => pairs.map(([key, value]) => (value === undefined ? key : `${key}=${value}`)).join('&'))
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constant('{"__proto__":{"x":1}}'),
  fc.constant('{"title":"' + 'x'.repeat(5000) + '"}'),
)
const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PURGE', 'PROPFIND')
const contentType = fc.constantFrom(undefined, 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/vnd.api+json', '')

async function send(m: string, p: string, q: string, b: string, type: string | undefined): Promise<Response> {
  const hasBody = !['GET', 'HEAD', 'OPTIONS'].includes(m)
  const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type }
  return handle(new Request(`http://127.0.0.1${p}${q ? `?${q}` : ''}`, { method: m, headers, ...(hasBody ? { body: b } : {}) }))
}

describe('fuzzing the fetch handler', () => {
  it('never answers 5xx to random requests and keeps answering a canary', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, query, body, contentType, async (m, p, q, b, type) => {
        const response = await send(m, p, q, b, type)
        const text = await response.text()
        expect(response.status, `${m} ${p}?${q} → ${response.status} ${text}`).toBeLessThan(500)
        expect(text).not.toContain('"status":500')
      }),
      { numRuns: 3000 },
    )
    expect(errors).toEqual([])
    const canary = await handle(new Request('http://127.0.0.1/api/posts/7?full=true'))
    expect(await canary.json()).toEqual({ id: 7, full: true })
  })

  it('never answers 5xx to random requests aimed at real routes', async () => {
    const routed = fc.constantFrom('/api/posts', '/api/posts/1', '/api/posts/1/comments/2', '/api/files/a/b', '/api/search', '/api/upload', '/api/stream', '/api/me', '/api/created')
    await fc.assert(
      fc.asyncProperty(method, routed, query, body, contentType, async (m, p, q, b, type) => {
        const response = await send(m, p, q, b, type)
        const text = await response.text()
        expect(response.status, `${m} ${p}?${q} → ${response.status} ${text}`).toBeLessThan(500)
      }),
      { numRuns: 3000 },
    )
    expect(errors).toEqual([])
  })
})

describe('fuzzing a real server', () => {
  it('never answers 5xx over real sockets and keeps serving', async () => {
    const server = await serve(fuzzed, { port: 0, prefix: '/api', onError: (error) => errors.push(error), maxBodySize: 4096 })
    try {
      const origin = `http://127.0.0.1:${server.port}`
      await fc.assert(
        fc.asyncProperty(method, path, query, body, contentType, async (m, p, q, b, type) => {
          const hasBody = !['GET', 'HEAD', 'OPTIONS'].includes(m)
          const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type }
          const response = await fetch(`${origin}${p}${q ? `?${q}` : ''}`, { method: m, headers, ...(hasBody ? { body: b } : {}) })
          await response.arrayBuffer()
          expect(response.status).toBeLessThan(500)
        }),
        { numRuns: 400 },
      )
      expect(errors).toEqual([])
      expect(await (await fetch(`${origin}/api/posts/3`)).json()).toEqual({ id: 3, full: false })
    } finally {
      await server.close()
    }
  })
})
