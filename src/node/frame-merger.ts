/**
 * Merging the `$/next` and `$/push` notifications a connection sends in one tick into array
 * frames (docs/protocol.md, "Communication": a frame holds one message or an array of them). The
 * first message of a tick leaves at once: a lone answer or item waits for nothing. The
 * notifications after it are gathered into frames of up to MESSAGES_PER_FRAME messages that stay
 * under a size limit (16 KiB by default), so the other end handles one WebSocket message and
 * parses one JSON text where it had dozens (docs/performance.md, "What each optimization bought").
 *
 * Responses are never merged (a plain JSON-RPC 2.0 client expects an array only as the answer to
 * its batch): a response, and a notification as large as the limit, leave as frames of their own,
 * after the notifications gathered before them.
 *
 * @module
 */

/** One JSON message as the engine hands it over: text, or its UTF-8 bytes (a push encoded once for all). */
export type Outgoing = string | Uint8Array

/** Most messages merged into one frame. */
const MESSAGES_PER_FRAME = 32
/** The default size limit of a merged frame (bytes; characters for text). */
const BYTES_PER_FRAME = 16 * 1024

const OPEN_BRACKET = 0x5b
const COMMA = 0x2c
const CLOSE_BRACKET = 0x5d

const sizeOf = (message: Outgoing) => (typeof message === 'string' ? message.length : message.byteLength)

export class FrameMerger {
  #ticking = false
  #queue: Outgoing[] = []
  #queuedBytes = 0
  #allText = true
  readonly #endOfTick = () => {
    this.flush()
    this.#ticking = false
    this.onEndOfTick?.()
  }

  /**
   * @param write sends one frame (`ws.send`)
   * @param onEndOfTick runs at the end of every tick in which a frame was written, after the last
   *   one (the socket's write batch ends there: one `nextTick` per tick for both)
   * @param frameLimit a merged frame stays under this size (bytes; characters for text), brackets
   *   and commas included; a message this large goes alone. Under compression, the threshold
   *   below which messages are sent uncompressed, so that merging does not make small messages
   *   pay for compression (docs/decisions.md, "Performance").
   */
  constructor(
    private readonly write: (frame: Outgoing) => void,
    private readonly onEndOfTick?: () => void,
    private readonly frameLimit = BYTES_PER_FRAME,
  ) {}

  /** Bytes gathered but not yet handed to `write` (part of the connection's buffered amount). */
  get queuedBytes(): number {
    return this.#queuedBytes
  }

  /** @param mergeable a `$/next` or `$/push` notification (see the module's comment) */
  send(message: Outgoing, mergeable: boolean): void {
    if (!this.#ticking) {
      this.#ticking = true
      try {
        return this.write(message)
      } finally {
        // Scheduled after the write: a lone answer waits for nothing.
        process.nextTick(this.#endOfTick)
      }
    }
    const size = sizeOf(message)
    if (!mergeable || size >= this.frameLimit) {
      this.flush()
      return this.write(message)
    }
    // With this message, the frame would be `[`, the messages, a comma between each two, and `]`.
    if (this.#queuedBytes + size + this.#queue.length + 2 >= this.frameLimit) this.flush()
    this.#queue.push(message)
    this.#queuedBytes += size
    if (typeof message !== 'string') this.#allText = false
    if (this.#queue.length === MESSAGES_PER_FRAME) this.flush()
  }

  /** Sends what was gathered now (before a close, at the end of the tick). */
  flush(): void {
    const queue = this.#queue
    if (queue.length === 0) return
    this.#queue = []
    this.#queuedBytes = 0
    const allText = this.#allText
    this.#allText = true
    if (queue.length === 1) return this.write(queue[0]!)
    this.write(allText ? `[${(queue as string[]).join(',')}]` : merged(queue))
  }
}

/** `[a,b,…]` as UTF-8 bytes, in one buffer of its own (not a slice of the shared pool). */
function merged(queue: Outgoing[]): Uint8Array {
  const parts = queue.map((message) => (typeof message === 'string' ? Buffer.from(message) : message))
  let length = parts.length + 1
  for (const part of parts) length += part.byteLength
  const frame = Buffer.allocUnsafeSlow(length)
  frame[0] = OPEN_BRACKET
  let offset = 1
  for (const part of parts) {
    frame.set(part, offset)
    offset += part.byteLength
    frame[offset++] = COMMA
  }
  frame[length - 1] = CLOSE_BRACKET
  return frame
}
