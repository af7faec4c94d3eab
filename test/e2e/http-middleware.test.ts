// Middleware from route.use(): typed context, short-circuits, response headers, after-response hooks.
import { describe, expect, it } from 'vitest'
import manifest from './fixtures/manifest.js'
import { startServer } from './helpers.js'

const server = await startServer(manifest)
const me = (authorization?: string, path = 'me') =>
  fetch(server.url + path, authorization ? { headers: { authorization } } : {})

describe('route.use middleware', () => {
  it('adds context that the handler reads, from every middleware in the chain', async () => {
    const response = await me('Bearer good')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ user: { name: 'ada' }, requestId: 'req-1', ip: '127.0.0.1' })
  })

  it('sets response headers through ctx.response.headers', async () => {
    expect((await me('Bearer good')).headers.get('x-authed')).toBe('yes')
  })

  it('runs onResponse hooks after the handler, with the context in scope', async () => {
    const response = await me('Bearer good')
    expect(response.headers.get('x-user')).toBe('ada')
    expect(Number(response.headers.get('x-elapsed'))).toBeGreaterThanOrEqual(0)
  })

  it('short-circuits with a thrown 401 that carries its headers, before the handler runs', async () => {
    const response = await me()
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer')
    expect(response.headers.get('x-user')).toBeNull()
    expect(await response.json()).toEqual({ message: 'Send "authorization: Bearer good".' })
  })

  it('short-circuits with a returned Response', async () => {
    const response = await me('Bearer short')
    expect(response.status).toBe(401)
    expect(await response.text()).toBe('short-circuited')
  })

  it('runs middleware before validating data, so unauthenticated callers learn nothing of the schema', async () => {
    const response = await fetch(server.url + 'me?unexpected=1')
    expect(response.status).toBe(401)
  })

  it('keeps middleware headers and hooks on error responses of the handler', async () => {
    const response = await me('Bearer good', 'me/fails')
    expect(response.status).toBe(403)
    expect(response.headers.get('x-authed')).toBe('yes')
    expect(response.headers.get('x-user')).toBe('ada')
  })

  it('leaves routes without middleware alone', async () => {
    const response = await fetch(server.url + 'posts/1')
    expect(response.headers.get('x-authed')).toBeNull()
  })
})
