// CORS: preflight and actual requests from an allowed and a refused origin.
import { describe, expect, it } from 'vitest'
import manifest from './fixtures/manifest.js'
import { startServer } from './helpers.js'

const allowed = 'https://app.example'
const refused = 'https://evil.example'
const server = await startServer(manifest, {
  cors: { origin: [allowed], credentials: true, exposeHeaders: ['x-authed'], maxAge: 60 },
})

const preflight = (origin: string) =>
  fetch(server.url + 'posts', {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
  })

describe('CORS', () => {
  it('answers a preflight from an allowed origin with 204 and the CORS headers', async () => {
    const response = await preflight(allowed)
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed)
    expect(response.headers.get('access-control-allow-credentials')).toBe('true')
    expect(response.headers.get('access-control-allow-methods')).toContain('POST')
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type, authorization')
    expect(response.headers.get('access-control-max-age')).toBe('60')
    expect(response.headers.get('vary')).toBe('Origin')
  })

  it('refuses a preflight from another origin with 403 and no CORS headers', async () => {
    const response = await preflight(refused)
    expect(response.status).toBe(403)
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    expect((await response.json()).message).toMatch(/not allowed by this API's CORS policy/)
  })

  it('adds CORS headers to an actual request from an allowed origin', async () => {
    const response = await fetch(server.url + 'posts/1', { headers: { origin: allowed } })
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed)
    expect(response.headers.get('access-control-expose-headers')).toBe('x-authed')
  })

  it('adds CORS headers to error responses too, so browsers can read them', async () => {
    const response = await fetch(server.url + 'posts/abc', { headers: { origin: allowed } })
    expect(response.status).toBe(400)
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed)
  })

  it('answers an actual request from a refused origin without CORS headers', async () => {
    const response = await fetch(server.url + 'posts/1', { headers: { origin: refused } })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('sends no CORS headers when the option is not set', async () => {
    const plain = await startServer(manifest)
    const response = await fetch(plain.url + 'posts/1', { headers: { origin: allowed } })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
  })
})
