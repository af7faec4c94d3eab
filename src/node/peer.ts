/**
 * The engine's view of one `ws` socket (`WsPeer`): how frames are written (merged per tick, one
 * write per frame where no extension is negotiated), what counts as unsent, and how reading is
 * paused and the socket cut when the engine asks.
 *
 * @module
 */
import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'
import { writeBatcher } from '../protocol/write-batching.js'
import type { WsPeer } from '../service/ws/peer.js'
import { FrameMerger, type Outgoing } from './frame-merger.js'
import { textFrame } from './text-frame.js'

/** Queued bytes above which outgoing messages are copied out of the shared Buffer pool. */
const UNPOOLED_ABOVE = 64 * 1024
/** Largest encoded message (bytes) copied into a frame of its own; a larger one is sent by `ws` as it is. */
const COPY_AT_MOST = 16 * 1024

/**
 * The engine's view of `ws`; `onClose` hears the code of each close the engine starts (1006 for a
 * cut). `compressFrom`: the size from which messages are compressed, when compression is on.
 */
export function peerOf(ws: WebSocket, onClose: (code: number) => void, compressFrom: number | undefined): WsPeer {
  const socket = (ws as unknown as { _socket?: Socket })._socket
  // The notifications of one tick leave as few frames (src/node/frame-merger.ts), the frames of
  // one tick in few socket writes (src/protocol/write-batching.ts).
  const batch = socket ? writeBatcher(socket, false) : undefined
  // Without an extension (compression), `ws` queues nothing of its own (it queues only while it
  // compresses, or reads a Blob, which this adapter never sends), so frames written straight to
  // the socket keep their order with the pings and the close `ws` writes there.
  const compressed = ws.extensions !== ''
  const direct = socket !== undefined && !compressed
  const write = (frame: Outgoing) => {
    // A message that will wait in a backed-up socket's queue gets a buffer of its own: a small
    // one would be a slice of a shared 8 KiB pool slab, and slabs shared by slow connections
    // stay alive until the slowest of them drains.
    const pooled = ws.bufferedAmount <= UNPOOLED_ABOVE
    // One buffer, one write (src/node/text-frame.ts); a large push encoded once for all
    // subscribers is not copied per connection.
    if (direct && ws.readyState === ws.OPEN && (typeof frame === 'string' || frame.byteLength <= COPY_AT_MOST)) socket.write(textFrame(frame, pooled))
    else if (typeof frame !== 'string') ws.send(frame, { binary: false })
    else if (!pooled) {
      const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(frame))
      bytes.write(frame)
      ws.send(bytes, { binary: false })
    } else ws.send(frame)
  }
  // Where compression was negotiated, merged frames stay under its threshold: notifications too
  // small to be compressed alone are not compressed for being merged (docs/decisions.md).
  const frameLimit = compressed ? compressFrom : undefined
  const frames = new FrameMerger(
    (frame) => {
      batch?.beforeWrite()
      write(frame)
      batch?.afterWrite()
    },
    batch?.endOfTick,
    frameLimit,
  )
  return {
    send(message, mergeable = false) {
      frames.send(message, mergeable)
    },
    close(code, reason) {
      frames.flush()
      onClose(code)
      ws.close(code, reason)
    },
    terminate() {
      onClose(1006)
      ws.terminate()
    },
    pauseReading() {
      ws.pause()
    },
    resumeReading() {
      ws.resume()
    },
    get bufferedAmount() {
      return ws.bufferedAmount + frames.queuedBytes
    },
    onDrain(listener) {
      // ws has no drain event of its own: use the TCP socket's, with a timer in case bytes queued
      // inside ws (not the socket) keep bufferedAmount up after the socket drained.
      let done = false
      const once = () => {
        if (done) return
        done = true
        clearTimeout(timer)
        socket?.off('drain', once)
        listener()
      }
      const timer = setTimeout(once, 50)
      socket?.once('drain', once)
    },
  }
}
