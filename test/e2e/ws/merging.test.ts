// Merged frames (docs/protocol.md, "Communication"): the `$/next` and `$/push` notifications a
// connection is sent in one tick may share one array frame; responses never do. Raw `ws` client,
// real serve() on 127.0.0.1.
import { describe, expect, it } from 'vitest'
import { connectionOf, defineClient } from 'wirerpc/client'
import * as api from '../../client/ws/api.js'
import { isMerged } from './helpers.js'
import { answerOf, request, startWsServer } from './protocol-harness.js'

const server = await startWsServer()

const isObject = (frame: unknown) => typeof frame === 'object' && frame !== null && !Array.isArray(frame)

describe('merged frames', () => {
  it('sends the items of one tick as arrays of at most 32 $/next notifications, in order, and the terminal response as a frame of its own', async () => {
    const client = await server.open()
    client.send(request('burst', 'burst', [200]))
    const terminal = await client.waitFor(answerOf('burst'), 2000)
    expect(terminal).toEqual({ jsonrpc: '2.0', id: 'burst', result: 'burst done' })
    const arrays = client.frames.filter(Array.isArray)
    expect(arrays.length).toBeGreaterThan(0)
    for (const frame of arrays) {
      expect(isMerged(frame)).toBe(true)
      expect(frame.length).toBeGreaterThan(1)
      expect(frame.length).toBeLessThanOrEqual(32)
    }
    // The first item of the tick waited for nothing; the terminal response is not inside an array.
    expect(client.frames[0]).toEqual({ jsonrpc: '2.0', method: '$/next', params: { id: 'burst', value: 0 } })
    expect(client.frames.at(-1)).toEqual(terminal)
    expect(client.frames.length).toBeLessThan(201)
    const items = client.messages.slice(0, -1) as { method: string; params: { id: string; value: number } }[]
    expect(items.map((item) => item.method)).toEqual(Array(200).fill('$/next'))
    expect(items.map((item) => item.params.value)).toEqual(Array.from({ length: 200 }, (_, i) => i))
  })

  it('merges pushes of one tick too, and answers the call that pushed them alone, after them', async () => {
    const client = await server.open()
    const answer = await client.call('pushMany', [100, 10], 'pushed')
    expect(answer).toEqual({ jsonrpc: '2.0', id: 'pushed', result: 100 })
    expect(client.frames.some(Array.isArray)).toBe(true)
    expect(client.frames.filter(Array.isArray).every(isMerged)).toBe(true)
    expect(client.frames.at(-1)).toEqual(answer)
    const pushes = client.messages.slice(0, -1) as { method: string; params: { event: string; value: { n: number } } }[]
    expect(pushes.map((push) => [push.method, push.params.event, push.params.value.n])).toEqual(Array.from({ length: 100 }, (_, n) => ['$/push', 'notice', n]))
  })

  it('sends a notification over 16 KiB as a frame of its own', async () => {
    const client = await server.open()
    await client.call('pushMany', [5, 17_000], 'large')
    expect(client.frames).toHaveLength(6)
    expect(client.frames.every(isObject)).toBe(true)
  })

  it('never merges responses: 50 requests read in one tick get 50 object frames', async () => {
    const client = await server.open()
    // One TCP write, so the server reads all 50 in one go and answers them in one tick.
    const tcp = (client.socket as unknown as { _socket: { cork(): void; uncork(): void } })._socket
    tcp.cork()
    for (let i = 0; i < 50; i++) client.send(request(`r${i}`, 'getUserData', [`${i}`]))
    tcp.uncork()
    await client.waitFor(answerOf('r49'), 2000)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(client.frames).toHaveLength(50)
    expect(client.frames.every(isObject)).toBe(true)
    expect(new Set(client.frames.map((frame) => (frame as { id: string }).id)).size).toBe(50)
  })

  it('is read by the wirerpc client as the messages it holds: every item and push, in order', async () => {
    const client = defineClient(api, { prefixUrl: server.server.url })
    try {
      const items: number[] = []
      for await (const item of client.burst(500)) items.push(item)
      expect(items).toEqual(Array.from({ length: 500 }, (_, i) => i))
      const pushed: number[] = []
      const off = client.notice.on((value) => void pushed.push(value.n))
      expect(await client.pushMany(300, 10)).toBe(300)
      off()
      expect(pushed).toEqual(Array.from({ length: 300 }, (_, n) => n))
    } finally {
      connectionOf(client).close()
    }
  })
})

/** The frames in `bytes` (a server's, unmasked): whether each is compressed (RSV1) and its payload length. */
function framesIn(bytes: Buffer): { compressed: boolean; length: number }[] {
  const frames: { compressed: boolean; length: number }[] = []
  for (let at = 0; at < bytes.length; ) {
    const compressed = (bytes[at]! & 0x40) !== 0
    const short = bytes[at + 1]! & 0x7f
    const header = short === 126 ? 4 : short === 127 ? 10 : 2
    const length = short === 126 ? bytes.readUInt16BE(at + 2) : short === 127 ? Number(bytes.readBigUInt64BE(at + 2)) : short
    frames.push({ compressed, length })
    at += header + length
  }
  return frames
}

describe('merged frames under compression: true', async () => {
  const deflating = await startWsServer({ compression: true })

  it('keeps merged frames under the 1 KiB threshold, so small notifications stay uncompressed; a large one alone is compressed', async () => {
    const client = await deflating.open()
    const received: Buffer[] = []
    ;(client.socket as unknown as { _socket: NodeJS.EventEmitter })._socket.on('data', (chunk: Buffer) => received.push(chunk))
    expect((await client.call('pushMany', [200, 20], 'small')).result).toBe(200)
    expect((await client.call('pushMany', [2, 3000], 'large')).result).toBe(2)
    const frames = framesIn(Buffer.concat(received))
    const pushes = client.messages.filter((message) => (message as { method?: string }).method === '$/push') as { params: { value: { text: string; n: number } } }[]
    expect(pushes.map((push) => [push.params.value.text.length, push.params.value.n])).toEqual([
      ...Array.from({ length: 200 }, (_, n) => [20, n]),
      [3000, 0],
      [3000, 1],
    ])
    // 200 small pushes went out merged (fewer frames than pushes), every frame uncompressed and under 1 KiB.
    const small = frames.slice(0, frames.findIndex((frame) => frame.compressed))
    expect(small.length).toBeGreaterThan(2)
    expect(small.length).toBeLessThan(100)
    expect(small.every((frame) => frame.length < 1024)).toBe(true)
    expect(client.frames.some(Array.isArray)).toBe(true)
    // The two large pushes, each compressed alone.
    expect(frames.filter((frame) => frame.compressed)).toHaveLength(2)
  })
})
