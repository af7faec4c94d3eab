/**
 * The loop that runs a subscription once its handler returned: pulls items from the async
 * iterator and sends each as `$/next`, waiting while the socket is backed up, while the client is
 * out of credit, and for its turn once the streams had their share of the event loop (turns.ts).
 * Its own module because it is the one long-running part of a call, with state of its own (the
 * loops waiting for the socket to drain).
 *
 * @module
 */
import type { RequestId, ResponseMessage } from '../../protocol/ws.js'
import type { ResolvedWsOptions } from './options.js'
import type { WsPeer } from './peer.js'
import { nextText, type Flow } from './flow.js'
import { nextTurn, turnSpent } from './turns.js'

/** What the loop needs of its call. */
export interface StreamCall {
  readonly id: RequestId | undefined
  /** The route's name, for the log. */
  readonly route: string
  readonly aborted: boolean
  /** Set once the handler returned it; stopping the call returns it (running its finally blocks). */
  iterator?: AsyncIterator<unknown>
  /** Set when the client granted credit before the request: the subscription is flow-controlled. */
  flow?: Flow
}

/** @internal One per connection: the stream loops of its subscriptions, over its socket. */
export class SubscriptionStreams {
  private isClosed = false
  private readonly drainWaiters = new Set<() => void>()

  constructor(
    private readonly peer: WsPeer,
    private readonly options: ResolvedWsOptions,
    private readonly report: (error: unknown, route: string) => void,
  ) {}

  /** The socket closed: send nothing more, wake every loop waiting for it to drain. */
  closed(): void {
    this.isClosed = true
    for (const wake of this.drainWaiters) wake()
  }

  /** Streams `result` (the handler's async iterator) to the client; resolves with the terminal response, if any. */
  async stream(call: StreamCall, result: unknown): Promise<ResponseMessage | undefined> {
    const id = call.id!
    if (typeof result !== 'object' || result === null || typeof (result as AsyncIterator<unknown>).next !== 'function') {
      throw new TypeError(`A subscription route must return an async iterable (an async generator); it returned ${typeof result}.`)
    }
    const iterator = result as AsyncIterator<unknown>
    call.iterator = iterator
    const flow = call.flow
    while (!call.aborted) {
      // Every loop of the process shares one budget per event-loop turn (turns.ts).
      if (turnSpent()) {
        await nextTurn()
        if (call.aborted) break
      }
      if (!flow?.lossy) {
        // Checked here first: waiting (a promise) only when the socket is backed up.
        if (this.peer.bufferedAmount > this.options.highWaterMark) await this.drained(call)
        // Out of credit: the generator waits at its yield until the client grants more.
        while (flow && flow.credit <= 0 && !call.aborted) await new Promise<void>((resolve) => (flow.wake = resolve))
      }
      if (call.aborted) break
      const step = await iterator.next()
      if (call.aborted) break
      if (step.done) return { jsonrpc: '2.0', id, result: step.value ?? null }
      let dropped = 0
      if (flow) {
        if (flow.credit <= 0 || (flow.lossy && this.peer.bufferedAmount > this.options.highWaterMark)) {
          flow.dropped++
          continue
        }
        flow.credit--
        dropped = flow.dropped
        flow.dropped = 0
      }
      const text = nextText(id, step.value, dropped, (error) => this.report(error, call.route))
      if (text !== undefined && !this.isClosed) this.peer.send(text, true)
    }
    return undefined
  }

  /** Resolves once the socket's buffer is under the high-water mark (or the call stopped). */
  private async drained(call: StreamCall): Promise<void> {
    while (this.peer.bufferedAmount > this.options.highWaterMark && !this.isClosed && !call.aborted) {
      await new Promise<void>((resolve) => {
        this.drainWaiters.add(resolve)
        this.peer.onDrain(() => {
          this.drainWaiters.delete(resolve)
          resolve()
        })
      })
    }
  }
}
