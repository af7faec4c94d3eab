// Two wirerpc server processes sharing a Redis PubSub (createRedisPubSub), with our typed client:
// events published through one reach the subscribers of both, in order; a subscriber whose
// server is killed (SIGKILL) resumes on the other one ($/resume with its last event id), with no
// gap and no duplicate. Server push: a broadcast to a room reaches the members on both servers.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { connectionOf, defineClient } from 'wirerpc/client'
import { createRedisPubSub } from 'wirerpc/redis'
import { killAllServers, spawnServer, type ServerProcess } from '../../bench/lib/spawn-server.js'
import { startTcpProxy } from '../support/tcp-proxy.js'
import { notice } from './fixtures/routes.js'
import * as api from './fixtures/api.js'
import { startRedisServer, type RedisServer } from './redis-server.js'

const script = new URL('./fixtures/server-process.ts', import.meta.url)
const KEY_PREFIX = 'instances:'
let redis: RedisServer
let a: ServerProcess
let b: ServerProcess
const clients: object[] = []

beforeAll(async () => {
  redis = await startRedisServer()
  const env = { REDIS_URL: redis.url, KEY_PREFIX }
  ;[a, b] = await Promise.all([spawnServer('redis-a', script, 20_000, env), spawnServer('redis-b', script, 20_000, env)])
}, 30_000)

afterEach(() => {
  for (const client of clients.splice(0)) connectionOf(client).close()
})

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()])
  killAllServers()
  await redis?.dispose()
})

function client(prefixUrl: string) {
  const made = defineClient(api, { prefixUrl })
  clients.push(made)
  return made
}

const contiguous = (seen: number[]) => Array.from({ length: seen.length }, (_, i) => seen[0]! + i)
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

it('delivers events published through either server to the subscribers of both, in order', async () => {
  const [ca, cb] = [client(a.url), client(b.url)]
  const received: number[][] = [[], []]
  const loops = [ca, cb].map(async (c, i) => {
    for await (const event of c.events('shared')) {
      received[i]!.push(event.n)
      if (event.n === 100) break
    }
  })
  // Warm-up events (n = 0) until both subscriptions are live on their servers.
  while (received.some((got) => got.length === 0)) {
    await ca.publish('shared', 0)
    await tick(20)
  }
  for (let n = 1; n <= 100; n++) await (n % 2 === 0 ? ca : cb).publish('shared', n)
  await Promise.all(loops)
  for (const got of received) expect(got.filter((n) => n !== 0)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
  for (const got of received) expect(got.slice(got.indexOf(1))).not.toContain(0) // no warm-up event after the real ones
})

it('resumes on the other server after its server is killed, with no gap and no duplicate', async () => {
  const doomed = await spawnServer('redis-doomed', script, 20_000, { REDIS_URL: redis.url, KEY_PREFIX })
  const proxy = await startTcpProxy(Number(new URL(doomed.url).port))
  const publisher = createRedisPubSub({ url: redis.url, keyPrefix: KEY_PREFIX }) // a third instance
  try {
    let resumes = 0
    proxy.onFrame((direction, _opcode, payload) => {
      if (direction === 'up' && String(payload).includes('"$/resume"')) resumes++
    })
    const c = client(`http://127.0.0.1:${proxy.port}/`)
    const seen: number[] = []
    let publishing = true
    const published = (async () => {
      for (let n = 1; publishing; n++) {
        await publisher.publish('moving', { n })
        await tick(3)
      }
    })()
    const consumer = (async () => {
      for await (const event of c.events('moving')) {
        seen.push(event.n)
        if (seen.length >= 400) break
      }
    })()
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBeGreaterThan(50)
    proxy.retarget(Number(new URL(b.url).port)) // the next connection goes to the other server
    await doomed.kill()
    const atKill = seen.length
    await consumer
    publishing = false
    await published
    expect(proxy.accepted).toBeGreaterThanOrEqual(2)
    expect(resumes).toBeGreaterThanOrEqual(1) // the client sent $/resume with its last event id
    expect(seen.length).toBeGreaterThan(atKill)
    expect(seen).toEqual(contiguous(seen))
  } finally {
    await publisher.close()
    await proxy.close()
    await doomed.kill()
  }
})

it('broadcasts a push to the members of a room on both servers, in publish order', async () => {
  const publisher = createRedisPubSub({ url: redis.url, keyPrefix: KEY_PREFIX }) // a third instance
  try {
    const members = [client(a.url), client(b.url), client(a.url), client(b.url)]
    const received: number[][] = members.map(() => [])
    members.forEach((member, i) => member.notice.on((value, info) => info.topic === 'hall' && received[i]!.push(value.n)))
    const rooms = members.map((member) => member.joinRoom('hall'))
    await Promise.all(rooms.map((room) => room.next()))
    // The servers look up where the stream ends when they first follow the room: until then a
    // broadcast may pass them by (pushes are at most once), so warm up with n = 0.
    await expect.poll(async () => {
      await notice.publish(publisher, 'hall', { n: 0 })
      return received.every((got) => got.includes(0))
    }, { timeout: 10_000, interval: 50 }).toBe(true)
    for (let n = 1; n <= 200; n++) await notice.publish(publisher, 'hall', { n })
    const expected = Array.from({ length: 200 }, (_, i) => i + 1)
    await expect.poll(() => received.map((got) => got.filter((n) => n !== 0)), { timeout: 10_000 }).toEqual(members.map(() => expected))
    for (const got of received) expect(got.slice(got.indexOf(1))).not.toContain(0)
    await Promise.all(rooms.map((room) => room.return(undefined)))
  } finally {
    await publisher.close()
  }
})
