// The client resumes tracked subscriptions after a reconnect ($/resume with the last event id),
// on the same server or another instance sharing the PubSub: no gap, no duplicate; a gap the
// retention no longer covers ends the loop with a ResyncRequiredError.
import { afterEach, expect, it, vi } from 'vitest'
import { connectionOf, defineClient, ResyncRequiredError } from 'wirerpc/client'
import { serve } from 'wirerpc/node'
import { createMemoryPubSub } from 'wirerpc/service'
import manifest from '../../e2e/ws/manifest.js'
import { startTcpProxy } from '../../support/tcp-proxy.js'
import * as api from './api.js'

const clients: object[] = []
afterEach(() => {
  for (const client of clients.splice(0)) connectionOf(client).close()
})

it('moves to another instance after a reset and gets every event once, in order', async () => {
  const pubsub = createMemoryPubSub({ retention: 1000 }) // shared, as Redis would be between instances
  const [a, b] = await Promise.all([serve(manifest, { port: 0, pubsub, onError: () => {} }), serve(manifest, { port: 0, pubsub, onError: () => {} })])
  const proxy = await startTcpProxy(a.port)
  try {
    const client = defineClient(api, { prefixUrl: `http://127.0.0.1:${proxy.port}/` })
    clients.push(client)
    const seen: number[] = []
    let publishing = true
    const publisher = (async () => {
      for (let n = 1; publishing; n++) {
        await pubsub.publish('feed', { n })
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })()
    const consumer = (async () => {
      for await (const event of client.topicEvents('feed')) {
        seen.push(event.n)
        if (seen.length >= 300) break
      }
    })()
    await vi.waitFor(() => expect(seen.length).toBeGreaterThan(50))
    proxy.retarget(b.port) // the next connection goes to the other instance
    proxy.resetAll()
    await consumer
    publishing = false
    await publisher
    expect(proxy.accepted).toBeGreaterThanOrEqual(2)
    // Contiguous from the first event received: nothing skipped, nothing twice.
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => seen[0]! + i))
  } finally {
    await proxy.close()
    await Promise.all([a.close(), b.close()])
  }
})

it('ends the loop with a ResyncRequiredError when the events it missed are no longer held', async () => {
  const pubsub = createMemoryPubSub({ retention: 3 })
  const server = await serve(manifest, { port: 0, pubsub, onError: () => {} })
  const proxy = await startTcpProxy(server.port)
  try {
    const client = defineClient(api, { prefixUrl: `http://127.0.0.1:${proxy.port}/`, wsPingInterval: 0.5, wsPongTimeout: 0.5 })
    clients.push(client)
    const subscription = client.topicEvents('short')
    const first = subscription.next()
    await vi.waitFor(async () => {
      await pubsub.publish('short', { n: 0 })
      expect(await Promise.race([first.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 20))])).toBe(true)
    })
    proxy.blackhole() // the client stops hearing; meanwhile more than the retention is published
    for (let n = 1; n <= 10; n++) await pubsub.publish('short', { n })
    const error = await (async () => {
      for (;;) await subscription.next()
    })().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ResyncRequiredError)
    expect(error).toMatchObject({ code: -32002, lastEventId: expect.stringMatching(/^\d+-\d+$/) })
  } finally {
    await proxy.close()
    await server.close()
  }
})
