import type { RunningServer } from 'wirerpc/node'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { defineClient, HTTPError, NetworkError, TimeoutError } from 'wirerpc/client'
import * as api from './fixtures/client-api.js'
import { observed } from './fixtures/routes.js'
import { startServer } from './fixtures/server.js'

let server: RunningServer
let client: ReturnType<typeof defineClient<typeof api>>

beforeAll(async () => {
  server = await startServer()
  client = defineClient(api, { prefixUrl: server.url })
})

afterAll(() => server.close())

const seconds = (start: number) => (performance.now() - start) / 1000

describe('retry', () => {
  test('retries a 503 after the Retry-After delay', async () => {
    const start = performance.now()
    await expect(client.flaky({ key: 'retry-after', failures: 1, retryAfter: '1' })).resolves.toEqual({ attempts: 2 })
    expect(seconds(start)).toBeGreaterThanOrEqual(0.9)
    expect(seconds(start)).toBeLessThan(5)
  })

  test('reads a Retry-After given as an HTTP date', async () => {
    // HTTP dates have whole seconds, so "2 s from now" is between 1 and 2 s away.
    const retryAfter = new Date(Date.now() + 2000).toUTCString()
    const start = performance.now()
    await expect(client.flaky({ key: 'retry-after-date', failures: 1, retryAfter })).resolves.toEqual({ attempts: 2 })
    expect(seconds(start)).toBeGreaterThanOrEqual(0.9)
    expect(seconds(start)).toBeLessThan(5)
  })

  test('retries 500s with a backoff when there is no Retry-After', async () => {
    await expect(client.flaky({ key: 'backoff', failures: 2, status: 500 })).resolves.toEqual({ attempts: 3 })
  })

  test('rejects with the last HTTPError once the retries are used up', async () => {
    const error: HTTPError = await client.flaky({ key: 'exhausted', failures: 10, retryAfter: '0' }).catch((error) => error)
    expect(error).toBeInstanceOf(HTTPError)
    expect(error.status).toBe(503)
    expect(error.body?.message).toBe('try later')
    expect(observed.attempts.get('exhausted')).toBe(3)
  })

  test('honours a retry limit given as a number', async () => {
    await expect(client.flaky({ key: 'limit-1', failures: 10, retryAfter: '0' }, { retry: 1 })).rejects.toBeInstanceOf(HTTPError)
    expect(observed.attempts.get('limit-1')).toBe(2)
  })

  test('does not retry a POST by default', async () => {
    await expect(client.flakyPost({ key: 'post', failures: 1 })).rejects.toMatchObject({ status: 503 })
    expect(observed.attempts.get('post')).toBe(1)
  })

  test('retries a POST when retry.methods lists it', async () => {
    const result = await client.flakyPost({ key: 'post-allowed', failures: 1 }, { retry: { methods: ['post'], backoffLimit: 0 } })
    expect(result).toEqual({ attempts: 2 })
  })

  test('does not retry a status missing from retry.statusCodes', async () => {
    await expect(client.flaky({ key: 'no-status', failures: 1 }, { retry: { statusCodes: [500] } })).rejects.toMatchObject({ status: 503 })
    expect(observed.attempts.get('no-status')).toBe(1)
  })

  test('gives up at once when Retry-After asks for longer than maxRetryAfter', async () => {
    const start = performance.now()
    await expect(client.flaky({ key: 'too-long', failures: 1, retryAfter: '30' }, { retry: { maxRetryAfter: 1 } })).rejects.toMatchObject({
      status: 503,
    })
    expect(observed.attempts.get('too-long')).toBe(1)
    expect(seconds(start)).toBeLessThan(1)
  })

  test('stops waiting for a retry when the call signal aborts', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const start = performance.now()
    await expect(client.flaky({ key: 'abort-wait', failures: 1, retryAfter: '5' }, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    })
    expect(seconds(start)).toBeLessThan(2)
    expect(observed.attempts.get('abort-wait')).toBe(1)
  })
})

describe('timeout', () => {
  test('rejects with TimeoutError when the server takes longer than timeout', async () => {
    const start = performance.now()
    const error: TimeoutError = await client.slow({ key: 'timeout', ms: 3000 }, { timeout: 0.2, retry: 0 }).catch((error) => error)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error.code).toBe('WIRERPC_ERR_TIMEOUT')
    expect(error.timeout).toBe(0.2)
    expect(error.message).toContain(`GET ${server.url}slow?key=timeout&ms=3000 timed out: no response within 0.2 s`)
    expect(seconds(start)).toBeGreaterThanOrEqual(0.19)
    expect(seconds(start)).toBeLessThan(1.5)
  })

  test('retries a timed-out GET before rejecting with TimeoutError', async () => {
    await expect(client.slow({ key: 'timeout-retry', ms: 3000 }, { timeout: 0.2, retry: { limit: 1, backoffLimit: 0 } })).rejects.toBeInstanceOf(
      TimeoutError,
    )
    expect(observed.attempts.get('timeout-retry')).toBe(2)
  })

  test('waits as long as it takes with timeout: false', async () => {
    await expect(client.slow({ key: 'no-timeout', ms: 300 }, { timeout: false })).resolves.toEqual({ waited: 300 })
  })

  test('rejects with the abort reason, without retrying, when the call signal aborts', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    await expect(client.slow({ key: 'abort', ms: 3000 }, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    expect(observed.attempts.get('abort')).toBe(1)
  })
})

describe('network errors', () => {
  test('rejects with NetworkError, after retrying, when nothing listens on the port', async () => {
    const closed = await startServer()
    await closed.close()
    const fetch = vi.fn((request: Request) => globalThis.fetch(request))
    const offline = defineClient(api, { prefixUrl: closed.url, fetch, retry: { backoffLimit: 0.01 } })
    const error: NetworkError = await offline.ping().catch((error) => error)
    expect(error).toBeInstanceOf(NetworkError)
    expect(error.code).toBe('WIRERPC_ERR_NETWORK')
    expect(error.message).toContain(`GET ${closed.url}ping failed before any response`)
    expect(error.message).toMatch(/ECONNREFUSED/)
    expect(error.message).toContain('prefixUrl')
    expect(error.cause).toBeInstanceOf(Error)
    expect(fetch).toHaveBeenCalledTimes(3)
  })
})
