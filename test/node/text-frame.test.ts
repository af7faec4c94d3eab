// The server's text frames (src/node/text-frame.ts) against `ws` itself: byte for byte what its
// Sender makes for the same payload, and read back by its Receiver, at every length boundary of
// RFC 6455's header (125/126 and 65535/65536 bytes). Over a real socket, see test/e2e/ws/frames.test.ts.
import { createRequire } from 'node:module'
import type { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { textFrame } from '../../src/node/text-frame.js'

// `ws` exports its Sender and Receiver, but its type declarations do not.
const { Receiver, Sender } = createRequire(import.meta.url)('ws') as {
  Receiver: new (options: { isServer: boolean }) => Writable
  Sender: { frame(data: string | Buffer, options: object): Buffer[] }
}

/** What `ws.send(text)` on a server writes: header and payload (two chunks), joined. */
const wsFrame = (payload: string | Uint8Array) =>
  Buffer.concat(Sender.frame(typeof payload === 'string' ? payload : Buffer.from(payload), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }))

/** The messages `ws`'s Receiver (a client's) reads from `bytes`, and its error if any. */
function readBack(bytes: Buffer): { messages: string[]; error?: Error } {
  const messages: string[] = []
  let error: Error | undefined
  const receiver = new Receiver({ isServer: false })
  receiver.on('message', (data: Buffer, isBinary: boolean) => messages.push(isBinary ? '(binary)' : data.toString()))
  receiver.on('error', (e: Error) => (error = e))
  receiver.write(bytes)
  return { messages, error }
}

/** Texts of every UTF-8 length around the header's boundaries, in ASCII and with 2-, 3- and 4-byte characters. */
const texts = [0, 1, 124, 125, 126, 127, 65534, 65535, 65536, 65537, 200_000].flatMap((bytes) => [
  'a'.repeat(bytes),
  'é'.repeat(bytes >> 1) + 'a'.repeat(bytes & 1),
  '€'.repeat(Math.floor(bytes / 3)) + 'a'.repeat(bytes % 3),
  '😀'.repeat(bytes >> 2) + 'a'.repeat(bytes & 3),
])

describe('textFrame', () => {
  it('makes the frame ws makes, for text and for its UTF-8 bytes, at every header boundary', () => {
    for (const text of texts) {
      const expected = wsFrame(text)
      expect(textFrame(text).equals(expected), `${Buffer.byteLength(text)} bytes of text`).toBe(true)
      expect(textFrame(new TextEncoder().encode(text)).equals(expected), `${Buffer.byteLength(text)} bytes`).toBe(true)
    }
  })

  it('is read back by ws as one text message each, also when frames follow each other in one chunk', () => {
    const { messages, error } = readBack(Buffer.concat(texts.map((text) => textFrame(text))))
    expect(error).toBeUndefined()
    expect(messages).toEqual(texts)
  })

  it('uses a buffer of its own, not a slice of the shared pool, when asked', () => {
    const small = textFrame('{"jsonrpc":"2.0","id":1,"result":null}', false)
    expect(small.byteOffset).toBe(0)
    expect(small.buffer.byteLength).toBe(small.length)
    // Pooled, a small frame shares Node's pool slab.
    expect(textFrame('{"jsonrpc":"2.0","id":1,"result":null}').buffer.byteLength).toBeGreaterThan(64)
  })
})
