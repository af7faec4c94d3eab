/**
 * The server's text frames (RFC 6455, section 5.2: FIN, opcode 1, no mask), header and payload in
 * one buffer, so that a frame is one `write` to the TCP socket. `ws.send` hands Node the header and
 * the payload as two chunks, and Node's path for that (cork, `writev`) costs about 2 µs more per
 * message than a single `write` (docs/performance.md, "What each optimization bought").
 *
 * @module
 */

/** FIN set, opcode 1 (text). */
const FINAL_TEXT = 0x81
/** Payload lengths up to this fit in the second byte. */
const SHORT_LENGTH = 125
/** Second-byte markers of a 16-bit and a 64-bit extended length. */
const LENGTH_16 = 126
const LENGTH_64 = 127

/**
 * `payload` (text, or its UTF-8 bytes) as one unmasked text frame.
 *
 * @param pooled whether the buffer may be a slice of Node's shared pool (small frames only); pass
 *   `false` for a frame that will wait in a backed-up socket's queue, so that it does not keep a
 *   shared slab alive
 */
export function textFrame(payload: string | Uint8Array, pooled = true): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength
  const headerLength = length <= SHORT_LENGTH ? 2 : length <= 0xffff ? 4 : 10
  const size = headerLength + length
  const frame = pooled ? Buffer.allocUnsafe(size) : Buffer.allocUnsafeSlow(size)
  frame[0] = FINAL_TEXT
  if (headerLength === 2) frame[1] = length
  else if (headerLength === 4) {
    frame[1] = LENGTH_16
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = LENGTH_64
    // A buffer's length is far below 2^53, so the high 32 bits come from a division.
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  if (typeof payload === 'string') frame.write(payload, headerLength)
  else frame.set(payload, headerLength)
  return frame
}
