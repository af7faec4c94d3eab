/**
 * What a connection does about the bytes it has not sent yet (docs/websocket.md, "Backpressure").
 * Subscriptions pause and pushes are dropped above `highWaterMark` on their own; answers cannot be
 * dropped, so above it the connection stops reading the client's messages (each could only add
 * an answer) until its socket drains. A client that goes on not reading holds at most the answers
 * of the calls that were already running; past `maxBufferedAmount` it is cut.
 *
 * @module
 */
import type { ResolvedWsOptions } from './options.js'
import type { WsPeer } from './peer.js'

/** @internal One per connection: its answers go out through it. */
export class Backlog {
  private paused = false
  private isClosed = false

  constructor(
    private readonly id: string,
    private readonly peer: WsPeer,
    private readonly options: Pick<ResolvedWsOptions, 'highWaterMark' | 'maxBufferedAmount' | 'logger'>,
  ) {}

  /** Sends an answer, unless the client is so far behind that the connection is cut instead. */
  send(text: string): void {
    if (this.isClosed) return
    const unsent = this.peer.bufferedAmount
    // Counted before the answer: one large answer to a client that keeps up is fine.
    if (unsent > this.options.maxBufferedAmount) return this.cut(unsent)
    this.peer.send(text)
    if (this.paused || unsent + text.length <= this.options.highWaterMark) return
    this.paused = true
    this.peer.pauseReading()
    this.resumeWhenDrained()
  }

  /** The socket closed: nothing more to resume. */
  closed(): void {
    this.isClosed = true
  }

  private cut(unsent: number): void {
    this.isClosed = true
    const { id } = this
    const { maxBufferedAmount } = this.options
    const message = `ws #${id} terminated: ${unsent} bytes unsent, over maxBufferedAmount (${maxBufferedAmount}); the client is not reading`
    this.options.logger?.warn(message, { event: 'ws.backlog', id, unsent, maxBufferedAmount })
    this.peer.terminate()
  }

  private resumeWhenDrained(): void {
    this.peer.onDrain(() => {
      if (this.isClosed) return
      if (this.peer.bufferedAmount > this.options.highWaterMark) return this.resumeWhenDrained()
      this.paused = false
      this.peer.resumeReading()
    })
  }
}
