// Server push ($/push): a handler pushes to its own connection later, topics broadcast to every
// joined connection across instances through the PubSub, membership ends with the call or the
// connection, a reconnect joins again through the resubscribed call, and a client that is far
// behind loses pushes (counted on the server) without losing anything else.
import { once } from 'node:events'
import { afterEach, expect, it, vi } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { connectionOf, defineClient, type PushInfo } from 'wirerpc/client'
import { serve } from 'wirerpc/node'
import { createMemoryPubSub, type PubSub } from 'wirerpc/service'
import { connect } from '../../e2e/ws/helpers.js'
import manifest from '../../e2e/ws/manifest.js'
import { notice, remembered } from '../../e2e/ws/routes.js'
import { startTcpProxy } from '../../support/tcp-proxy.js'
import * as api from './api.js'

type Notice = { text: string; n: number }

const clients: object[] = []
const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) connectionOf(client).close()
  for (const close of closers.splice(0)) await close()
})

async function start(options: Parameters<typeof serve>[1] = {}) {
  const server = await serve(manifest, { port: 0, onError: () => {}, ...options })
  closers.push(() => server.close())
  return server
}

function client(port: number) {
  const made = defineClient(api, { prefixUrl: `http://127.0.0.1:${port}/` })
  clients.push(made)
  return made
}

/** Collects a client's notices with the topic they came through. */
function collect(of: ReturnType<typeof client>) {
  const received: (Notice & { topic: string | undefined })[] = []
  const off = of.notice.on((value, info: PushInfo) => received.push({ ...value, topic: info.topic }))
  return { received, off }
}

it('pushes to a connection after the call that kept it has answered, in order', async () => {
  const server = await start()
  const alice = client(server.port)
  const { received } = collect(alice)
  const id = await alice.remember(5, 30)
  expect(received).toEqual([]) // nothing yet: the pushes come 30 ms after the answer
  await vi.waitFor(() => expect(received).toHaveLength(5))
  expect(received).toEqual([0, 1, 2, 3, 4].map((n) => ({ text: 'later', n, topic: undefined })))
  // The kept connection is the caller's, and still usable afterwards.
  expect(remembered.at(-1)?.id).toBe(id)
  expect(remembered.at(-1)?.open).toBe(true)
  expect(await alice.getUserData('7')).toEqual({ id: '7', name: 'user 7' })
})

it('sends the documented $/push message', async () => {
  const server = await start()
  const raw = await connect(`${server.wsUrl}`)
  closers.push(() => raw.close())
  await raw.call('remember', [1, 0])
  const message = await raw.waitFor((item) => item.method === '$/push')
  expect(message).toEqual({ jsonrpc: '2.0', method: '$/push', params: { event: 'notice', value: { text: 'later', n: 0 } } })
})

it('broadcasts to every connection that joined the topic, on every instance sharing the PubSub, and to no other', async () => {
  const pubsub = createMemoryPubSub() // shared, as Redis would be between instances
  const [a, b] = await Promise.all([start({ pubsub }), start({ pubsub })])
  const [alice, bob, carol] = [client(a.port), client(b.port), client(a.port)]
  const [toAlice, toBob, toCarol] = [collect(alice), collect(bob), collect(carol)]
  for (const member of [alice, bob]) {
    const joined = member.joinRoom('lobby')
    expect((await joined.next()).value).toBe('joined')
  }
  await carol.joinRoom('attic').next() // another room: hears nothing of the lobby
  for (let n = 0; n < 20; n++) await carol.broadcast('lobby', 'hi', n)
  const expected = Array.from({ length: 20 }, (_, n) => ({ text: 'hi', n, topic: 'lobby' }))
  await vi.waitFor(() => {
    expect(toAlice.received).toEqual(expected)
    expect(toBob.received).toEqual(expected)
  })
  // Carol's request on her own connection is answered after anything already pushed to it.
  await carol.getUserData('1')
  expect(toCarol.received).toEqual([])
})

it('stops delivering once the call that joined ends, and off() stops a listener', async () => {
  const server = await start()
  const [alice, bob] = [client(server.port), client(server.port)]
  const [toAlice, toBob] = [collect(alice), collect(bob)]
  const aliceRoom = alice.joinRoom('room')
  await aliceRoom.next()
  await bob.joinRoom('room').next()
  await bob.broadcast('room', 'one', 1)
  await vi.waitFor(() => expect(toAlice.received.map((item) => item.n)).toEqual([1]))
  await aliceRoom.return(undefined) // $/cancel: the handler's defer leaves the room
  await vi.waitFor(async () => {
    await bob.broadcast('room', 'probe', 2)
    expect(toBob.received.at(-1)?.n).toBe(2)
    await alice.getUserData('x') // answered after any push already written to Alice
    expect(toAlice.received.map((item) => item.n)).toEqual([1])
  })
  toBob.off()
  await bob.broadcast('room', 'after off', 3)
  await bob.getUserData('x')
  expect(toBob.received.map((item) => item.n)).not.toContain(3)
})

it('joins again after a reconnect, through the subscription the client sends again', async () => {
  const server = await start()
  const proxy = await startTcpProxy(server.port)
  closers.push(() => proxy.close())
  const alice = client(proxy.port)
  const bob = client(server.port)
  const toAlice = collect(alice)
  const room = alice.joinRoom('r')
  await room.next()
  await bob.broadcast('r', 'before', 1)
  await vi.waitFor(() => expect(toAlice.received.map((item) => item.n)).toEqual([1]))
  const states: string[] = []
  connectionOf(alice).onStateChange((state) => states.push(state))
  proxy.resetAll()
  await vi.waitFor(() => expect(states).toContain('open'), { timeout: 5000 })
  // Until the resubscription reached the server, broadcasts may miss Alice (pushes are at most once).
  await vi.waitFor(async () => {
    await bob.broadcast('r', 'after', 2)
    await alice.getUserData('x')
    expect(toAlice.received.map((item) => item.n)).toContain(2)
  })
  expect(proxy.accepted).toBe(2)
})

/** The real in-memory PubSub, counting the subscriptions open per topic (to see topics left). */
function countingPubSub() {
  const pubsub = createMemoryPubSub()
  const open = new Map<string, number>()
  const counted: PubSub = {
    publish: (topic, value) => pubsub.publish(topic, value),
    subscribe(topic, options) {
      open.set(topic, (open.get(topic) ?? 0) + 1)
      options?.signal?.addEventListener('abort', () => open.set(topic, open.get(topic)! - 1), { once: true })
      return pubsub.subscribe(topic, options)
    },
    close: () => pubsub.close(),
  }
  return { pubsub: counted, open }
}

it('tells a kept connection has closed: push() returns false, onClose listeners run, its topics are left', async () => {
  const { pubsub, open } = countingPubSub()
  const server = await start({ pubsub })
  const alice = client(server.port)
  await alice.remember(0, 0)
  const kept = remembered.at(-1)!
  const closed = new Promise<void>((resolve) => kept.onClose(resolve))
  kept.join('kept-room')
  kept.join('kept-room') // twice is once
  expect(open.get('wirerpc:push:kept-room')).toBe(1)
  connectionOf(alice).close()
  await closed
  expect(kept.open).toBe(false)
  expect(open.get('wirerpc:push:kept-room')).toBe(0)
  expect(kept.push(notice, { text: 'too late', n: 0 })).toBe(false)
  // A close listener added after the close still runs (once).
  await new Promise<void>((resolve) => kept.onClose(resolve))
})

it('follows a topic with one PubSub subscription per instance, however many connections joined, until the last leaves', async () => {
  const { pubsub, open } = countingPubSub()
  const server = await start({ pubsub })
  const members = Array.from({ length: 50 }, () => client(server.port))
  const rooms = members.map((member) => member.joinRoom('crowd'))
  await Promise.all(rooms.map((room) => room.next()))
  expect(open.get('wirerpc:push:crowd')).toBe(1)
  await Promise.all(rooms.slice(1).map((room) => room.return(undefined)))
  await members[1]!.getUserData('x')
  expect(open.get('wirerpc:push:crowd')).toBe(1)
  await rooms[0]!.return(undefined)
  await vi.waitFor(() => expect(open.get('wirerpc:push:crowd')).toBe(0))
})

it('drops pushes to a client that stopped reading once highWaterMark bytes wait, and the connection carries on', async () => {
  const server = await start({ highWaterMark: 64 * 1024 })
  const raw = await connect(`${server.wsUrl}`)
  closers.push(() => raw.close())
  const socket = (raw.socket as unknown as { _socket: import('node:net').Socket })._socket
  socket.pause() // the client stops reading: the kernel buffers fill, then the server's
  const answer = raw.call('pushMany', [2000, 16 * 1024], 'many')
  // The answer is itself queued behind the pushes: read again to get it.
  await new Promise((resolve) => setTimeout(resolve, 300))
  socket.resume()
  const response = await answer
  const sent = response['result'] as number
  expect(sent).toBeGreaterThan(0)
  expect(sent).toBeLessThan(2000)
  await vi.waitFor(() => expect(raw.messages.filter((message: any) => message.method === '$/push')).toHaveLength(sent))
  const ns = raw.messages.filter((message: any) => message.method === '$/push').map((message: any) => message.params.value.n as number)
  expect(ns).toEqual([...ns].sort((x, y) => x - y)) // the ones sent arrive in order
  expect((await raw.call('getUserData', ['2']))['result']).toEqual({ id: '2', name: 'user 2' })
})

it('ignores broadcasts on a push topic that are not push events, and keeps delivering the others', async () => {
  const pubsub = createMemoryPubSub()
  const server = await start({ pubsub })
  const alice = client(server.port)
  const toAlice = collect(alice)
  await alice.joinRoom('mixed').next()
  await pubsub.publish('wirerpc:push:mixed', 42)
  await pubsub.publish('wirerpc:push:mixed', { event: 7 })
  await alice.broadcast('mixed', 'real', 1)
  await vi.waitFor(() => expect(toAlice.received).toEqual([{ text: 'real', n: 1, topic: 'mixed' }]))
})

it('client: ignores malformed and unknown $/push messages, survives a throwing listener', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  closers.push(() => new Promise((resolve) => wss.close(resolve)))
  wss.on('connection', (socket: WebSocket) => {
    socket.on('message', (data) => {
      const request = JSON.parse(String(data)) as { id?: number; method: string }
      if (request.id === undefined) return
      const push = (params: unknown) => socket.send(JSON.stringify({ jsonrpc: '2.0', method: '$/push', params }))
      push(null)
      push({ event: 5, value: 1 })
      push({ event: 'other', value: { text: 'not ours', n: -1 } })
      push({ event: 'notice', value: { text: 'ok', n: 1 }, topic: 7 })
      socket.send('not json')
      push({ event: 'notice', value: { text: 'ok', n: 2 }, topic: 't' })
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { id: 'x', name: 'y' } }))
    })
  })
  const port = (wss.address() as { port: number }).port
  const alice = client(port)
  const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
  try {
    alice.notice.on(() => {
      throw new Error('listener bug')
    })
    const { received } = collect(alice)
    expect(await alice.getUserData('x')).toEqual({ id: 'x', name: 'y' })
    expect(received).toEqual([
      { text: 'ok', n: 1, topic: undefined },
      { text: 'ok', n: 2, topic: 't' },
    ])
    expect(errors).toHaveBeenCalledTimes(2)
    expect(String(errors.mock.calls[0]?.[0])).toContain('a listener of push event "notice" threw')
  } finally {
    errors.mockRestore()
  }
})
