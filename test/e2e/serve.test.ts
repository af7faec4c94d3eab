// serve(): the Node server around the fetch handler: body limit, raw bad requests, graceful close.
import { request } from 'node:http'
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { serve } from 'wirerpc/node'
import manifest from './fixtures/manifest.js'
import { startServer } from './helpers.js'

/** Sends raw bytes over TCP and returns the first response line. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    let data = ''
    socket.on('data', (chunk) => {
      data += chunk
      if (data.includes('\r\n')) {
        socket.destroy()
        resolve(data.split('\r\n')[0]!)
      }
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''))
  })
}

/** POSTs a body in chunks without a content-length (chunked transfer encoding). */
function postChunked(url: string, chunks: number, chunkSize: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = ''
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
    const chunk = ' '.repeat(chunkSize)
    for (let i = 0; i < chunks; i++) req.write(chunk)
    req.end()
  })
}

describe('body size limit', async () => {
  const server = await startServer(manifest, { maxBodySize: 1000 })

  it('answers 413 when content-length declares more than maxBodySize', async () => {
    const response = await fetch(server.url + 'posts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x'.repeat(2000) }),
    })
    expect(response.status).toBe(413)
    expect((await response.json()).message).toMatch(/larger than 1000 bytes \(maxBodySize\)/)
  })

  it('answers 413 when a chunked body grows past maxBodySize', async () => {
    const { status } = await postChunked(server.url + 'posts', 20, 100)
    expect(status).toBe(413)
  })

  it('accepts a body at the limit', async () => {
    const body = JSON.stringify({ title: 'ok' }).padEnd(1000, ' ')
    const response = await fetch(server.url + 'posts', { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    expect(response.status).toBe(200)
  })

  it('defaults to 1 MiB', async () => {
    const defaults = await startServer(manifest)
    const big = await fetch(defaults.url + 'posts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ' '.repeat(1024 * 1024 + 1) })
    expect(big.status).toBe(413)
    const fits = await fetch(defaults.url + 'posts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"title":"a"}${' '.repeat(1024 * 1024 - 13)}` })
    expect(fits.status).toBe(200)
  })
})

describe('bad requests on the wire', async () => {
  const server = await startServer(manifest)

  it.each([
    ['a path with raw percent signs', 'GET /%%%/%zz HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a double-slash path', 'GET //posts//1 HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an absolute-form target', 'GET http://other.example/posts/1 HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['garbage', 'NOT HTTP AT ALL\r\n\r\n'],
  ])('survives %s', async (_name, text) => {
    const line = await rawRequest(server.port, text)
    expect(line).not.toMatch(/ 5\d\d /)
    expect((await fetch(server.url + 'posts/1')).status).toBe(200)
  })
})

describe('serve()', () => {
  it('binds port 0 to a free port and reports its URL', async () => {
    const server = await serve(manifest, { port: 0, prefix: '/api/v1/' })
    try {
      expect(server.port).toBeGreaterThan(0)
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/api/v1/`)
      expect((await fetch(server.url + 'posts/1')).status).toBe(200)
    } finally {
      await server.close()
    }
  })

  it('rejects when the port is taken', async () => {
    const first = await serve(manifest, { port: 0 })
    try {
      await expect(serve(manifest, { port: first.port })).rejects.toThrow(/EADDRINUSE/)
    } finally {
      await first.close()
    }
  })
})

describe('fallback', async () => {
  const server = await startServer(manifest, {
    prefix: '/api',
    onError: () => {},
    fallback: (request) => {
      const { pathname } = new URL(request.url)
      if (pathname === '/boom') throw new Error('fallback failed')
      return new Response(`page ${pathname}`, { headers: { 'content-type': 'text/html' } })
    },
  })
  const origin = server.url.replace(/api\/$/, '')

  it('answers paths outside the prefix, and paths inside it that no route has', async () => {
    expect(await (await fetch(origin)).text()).toBe('page /')
    expect(await (await fetch(`${origin}app.js`)).text()).toBe('page /app.js')
    expect(await (await fetch(`${server.url}nothing/here`)).text()).toBe('page /api/nothing/here')
  })

  it('leaves routes, 405 and errors as they were', async () => {
    expect((await fetch(`${server.url}posts/1`)).status).toBe(200)
    expect((await fetch(`${server.url}posts`, { method: 'DELETE' })).status).toBe(405)
    expect((await fetch(`${origin}boom`)).status).toBe(500)
  })
})

describe('graceful close', () => {
  it('lets an in-flight request finish, then refuses new connections', async () => {
    const server = await serve(manifest, { port: 0, shutdownTimeout: 5 })
    const inFlight = fetch(server.url + 'slow?ms=300')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const started = Date.now()
    const closed = server.close()
    const response = await inFlight
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ waited: 300 })
    await closed
    expect(Date.now() - started).toBeLessThan(2000)
    await expect(fetch(server.url + 'posts/1')).rejects.toThrow()
  })

  it('cuts requests still running at the shutdown deadline', async () => {
    const server = await serve(manifest, { port: 0, shutdownTimeout: 0.3 })
    const inFlight = fetch(server.url + 'slow?ms=3000').then((response) => response.status, () => 'cut')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const started = Date.now()
    await server.close()
    expect(Date.now() - started).toBeLessThan(1500)
    expect(await inFlight).toBe('cut')
  })

  it('closes at once with idle keep-alive connections open', async () => {
    const server = await serve(manifest, { port: 0 })
    await (await fetch(server.url + 'posts/1')).json() // leaves a keep-alive socket in fetch's pool
    const started = Date.now()
    await server.close()
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
