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

/** The write batching of one socket: call `beforeWrite()` and `afterWrite()` around each frame written. */
export interface WriteBatch {
  beforeWrite(): void
  afterWrite(): void
  /** Ends the tick: writes what is corked. Called by the batch itself, or by its owner (see `writeBatcher`). */
  endOfTick(): void
}

/** A batch that does nothing (no TCP socket to cork, or not Node). */
export const NO_BATCH: WriteBatch = { beforeWrite() {}, afterWrite() {}, endOfTick() {} }

/**
 * The write batching of `tcp`. By default it schedules its own end of tick (`process.nextTick`,
 * after the first frame is written: a lone frame waits for nothing); with `ownTick: false` the
 * caller must call `endOfTick()` at the end of every tick in which it wrote (the server's
 * FrameMerger does, and so saves a second `nextTick` per tick). Without `process.nextTick` (not
 * Node) it does nothing.
 */
export function writeBatcher(tcp: Corkable, ownTick = true): WriteBatch {
  if (!nextTick) return NO_BATCH
  let sent = 0
  const endOfTick = () => {
    if (sent > 1) tcp.uncork()
    sent = 0
  }
  return {
    beforeWrite() {
      if (sent === 1) tcp.cork()
      else if (sent > 1 && (sent - 1) % FRAMES_PER_WRITE === 0) {
        tcp.uncork()
        tcp.cork()
      }
    },
    afterWrite() {
      if (sent++ === 0 && ownTick) nextTick(endOfTick)
    },
    endOfTick,
  }
}
