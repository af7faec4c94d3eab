// The three seed calls, as written, in Node 20 against a real serve() of the demo app's
// generated manifests (test/browser runs the same calls in Chromium).
import { afterAll, expect, it } from 'vitest'
import { connectionOf, defineClient } from 'wirerpc/client'
import * as routes from '../../../examples/basic/generated/client-api.js'
import serverRoutes from '../../../examples/basic/generated/server-api.js'
import { startServer } from '../../e2e/helpers.js'

const server = await startServer(serverRoutes, { prefix: '/api' })
const prefixUrl = server.url.replace(/^http:/, 'ws:')

it('runs the notification, request and subscription of the issue, as written', async () => {
  const client = defineClient(routes, { prefixUrl, wsPingInterval: 30, wsIdleTimeout: 300 })
  afterAll(() => connectionOf(client).close())
  const logged: string[] = []
  const log = console.log
  console.log = (...args: unknown[]) => void logged.push(args.join(' '))
  try {
    await client.logEvent('user_action', { userId: 123 }) // notification
    const userData = await client.getUserData('123') // request-response
    expect(userData).toEqual({ id: '123', name: 'User 123' })
    const updates: unknown[] = []
    for await (const update of client.subscribeToUpdates('user-events')) {
      updates.push(update)
      if (updates.length === 2) break
    }
    expect(updates).toEqual([
      { topic: 'user-events', seq: 1, timestamp: expect.any(Number) },
      { topic: 'user-events', seq: 2, timestamp: expect.any(Number) },
    ])
  } finally {
    console.log = log
  }
  expect(logged).toContain('event user_action from user 123') // the route ran
  expect(connectionOf(client).state).toBe('open')
  expect(connectionOf(client).pending).toBe(0)
})
