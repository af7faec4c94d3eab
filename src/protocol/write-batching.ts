/**
 * Gathering the frames sent in one tick into few socket writes, on both ends (the Node adapter's
 * peer and the client over `ws`): the first frame of a tick is written at once (a lone answer
 * waits for nothing); the frames after it leave in writes (`writev`) of up to FRAMES_PER_WRITE,
 * not all at the end of the tick, so that the other end starts reading while the rest are made
 * (docs/performance.md, "What each optimization bought").
 *
 * @module
 */

/** A TCP socket (Node's `net.Socket`): what `ws` keeps as `_socket`. */
export interface Corkable {
  cork(): void
  uncork(): void
}

/** Most frames gathered into one socket write. */
const FRAMES_PER_WRITE = 32

const nextTick = (globalThis as { process?: { nextTick?: (fn: () => void) => void } }).process?.nextTick

/** Returns the function to call before each frame written to `tcp`; without `process.nextTick` (not Node), none. */
export function writeBatcher(tcp: Corkable): () => void {
  if (!nextTick) return () => {}
  let sent = 0
  const endOfTick = () => {
    if (sent > 1) tcp.uncork()
    sent = 0
  }
  return () => {
    if (sent === 0) nextTick(endOfTick)
    else if (sent === 1) tcp.cork()
    else if ((sent - 1) % FRAMES_PER_WRITE === 0) {
      tcp.uncork()
      tcp.cork()
    }
    sent++
  }
}
