// Frames of every size over a real socket, both ways: the server writes its text frames straight
// to the TCP socket (src/node/text-frame.ts) and the client over `ws` sends its text as bytes in a
// text frame (src/client/ws/socket.ts, `textWriter`). Answers and pushes cross the header's length
// boundaries (125/126, 65535/65536 bytes) in ASCII and multi-byte UTF-8, alone and many in one
// tick; pushes above 16 KiB, which `ws` sends as they are, keep their place among the others; with
// compression, `ws` frames everything, and the same calls still work.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { connectionOf, defineClient } from 'wirerpc/client'
import { serve, type ServeOptions } from 'wirerpc/node'
import manifest from './manifest.js'
import * as api from '../../client/ws/api.js'

const closers: (() => unknown)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function client(options: ServeOptions = {}) {
  const server = await serve(manifest, { port: 0, hostname: '127.0.0.1', onError: () => {}, ...options })
  closers.push(() => server.close())
  const made = defineClient(api, { prefixUrl: server.url })
  closers.push(() => connectionOf(made).close())
  return made
}

/** User ids whose answers (`{"id":…,"name":"user …"}` in the envelope) cover every length around the boundaries. */
const ids = [
  ...[20, 30, 40, 50].flatMap((n) => Array.from({ length: 12 }, (_, i) => n + i)),
  ...Array.from({ length: 8 }, (_, i) => 32_730 + i),
  100_000,
].flatMap((length) => ['a'.repeat(length), 'é'.repeat(length >> 1) + 'a'.repeat(length & 1), '😀'.repeat(length >> 2) + 'a'.repeat(length & 3)])

describe.each([
  ['plain frames (written straight to the socket)', {}],
  ['compression: true (framed by ws)', { compression: true }],
] as const)('%s', (_, options) => {
  it('answers requests of every size, one at a time and all in one tick, intact and in order', async () => {
    const c = await client(options)
    for (const id of ids) expect(await c.getUserData(id)).toEqual({ id, name: `user ${id}` })
    // In groups under maxInFlight (100).
    for (let from = 0; from < ids.length; from += 60) {
      const group = ids.slice(from, from + 60)
      expect(await Promise.all(group.map((id) => c.getUserData(id)))).toEqual(group.map((id) => ({ id, name: `user ${id}` })))
    }
  })

  it('delivers pushes of every size, small and over 16 KiB, in the order they were sent', async () => {
    const c = await client(options)
    const received: { text: string; n: number }[] = []
    c.notice.on((value) => void received.push(value))
    const sizes = [0, 100, 16_300, 16_400, 20_000, 10, 17_000, 5]
    // pushMany pushes `count` notices of one size at once; several calls mix the sizes in one tick.
    const counts = await Promise.all(sizes.map((size) => c.pushMany(3, size)))
    expect(counts).toEqual(sizes.map(() => 3))
    await vi.waitFor(() => expect(received).toHaveLength(sizes.length * 3))
    expect(received.map(({ text, n }) => [text.length, n])).toEqual(sizes.flatMap((size) => [0, 1, 2].map((n) => [size, n])))
    expect(received.every(({ text }) => /^x*$/.test(text))).toBe(true)
    // Broadcasts are encoded once, as bytes, for every member: those over 16 KiB go through ws.
    received.length = 0
    expect((await c.joinRoom('frames').next()).value).toBe('joined')
    await Promise.all(sizes.map((size, n) => c.broadcast('frames', 'é'.repeat(size), n)))
    await vi.waitFor(() => expect(received).toHaveLength(sizes.length))
    expect(received).toEqual(sizes.map((size, n) => ({ text: 'é'.repeat(size), n })))
    expect(await c.getUserData('after')).toEqual({ id: 'after', name: 'user after' })
  })
})
