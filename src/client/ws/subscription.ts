/**
 * A subscription as the consumer sees it: an async iterator over the `$/next` items of one call.
 * It subscribes on the first `next()` with a flow-control window (`$/credit` before the request),
 * grants more as the consumer reads, and `return()` (what `break` calls), or an aborted signal,
 * cancels it on the server.
 *
 * @module
 */
import { WsMethod } from '../../protocol/ws.js'
import { BufferOverflowError, type ClientError } from '../errors.js'
import { requestText } from './message.js'
import type { Connection, PendingCall } from './connection.js'

/**
 * What a subscription route returns: use it with `for await`. `break` (or `return()`, or the
 * call's aborted `signal`) cancels the subscription on the server. After a dropped connection the
 * client subscribes again and the loop goes on; items sent while the connection was down are
 * lost. When the server's generator returns, the loop ends and `return()`'s value is the
 * generator's return value.
 */
export interface Subscription<T> extends AsyncIterableIterator<T> {
  next(): Promise<IteratorResult<T>>
  /** Cancels the subscription (sending `$/cancel` when the server has it) and ends the loop. */
  return(value?: unknown): Promise<IteratorResult<T>>
  [Symbol.asyncIterator](): Subscription<T>
  /** Items the server dropped for this subscription (`lossy: true` only; 0 otherwise). */
  readonly dropped: number
}

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void
  reject(error: unknown): void
}

/** How the subscription ended: a result, or an error (after `beforeError` hooks). */
type Ending = { error: Promise<unknown> } | { result: unknown }

export interface SubscriptionSetup {
  readonly connection: Connection
  readonly method: string
  readonly params: unknown[] | undefined
  readonly signal: AbortSignal | undefined
  /** Flow-control window, in items. */
  readonly window: number
  readonly lossy: boolean
  readonly retryLimit: number
  onError(error: Error): Promise<unknown>
}

export class WsSubscription<T> implements Subscription<T> {
  readonly #setup: SubscriptionSetup
  #id: number | undefined
  readonly #buffer: T[] = []
  readonly #waiters: Waiter<T>[] = []
  #ending: Ending | undefined
  /** The ending was delivered; later calls answer `done`. */
  #finished = false
  /** Items the consumer took since credit was last granted. */
  #consumed = 0
  #dropped = 0
  /** Event id of the last tracked item received: sent with `$/resume` when subscribing again. */
  #lastEventId: string | undefined

  constructor(setup: SubscriptionSetup) {
    this.#setup = setup
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#id === undefined && !this.#ending) {
      try {
        this.#start()
      } catch (error) {
        this.#end({ error: Promise.resolve(error) }, false)
      }
    }
    if (this.#buffer.length > 0) {
      const value = this.#buffer.shift()!
      this.#took()
      return Promise.resolve({ value, done: false })
    }
    if (this.#ending) return this.#deliverEnding()
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    if (!this.#ending) this.#end({ result: value }, true)
    this.#buffer.length = 0
    this.#finished = true
    return Promise.resolve({ value: value as T, done: true })
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  get dropped(): number {
    return this.#dropped
  }

  /** The consumer took an item: grant more once half the window is used, so the server rarely waits. */
  #took(): void {
    if (++this.#consumed < Math.max(1, this.#setup.window >> 1) || this.#id === undefined || this.#ending) return
    this.#setup.connection.grant(this.#id, this.#consumed)
    this.#consumed = 0
  }

  /**
   * Sent before the request on every (re)connection: the first credit (the window minus what is
   * still unread) and, once items were tracked, where to resume from.
   */
  #preamble(id: number): string[] {
    this.#consumed = 0
    const { window, lossy } = this.#setup
    const credit = JSON.stringify({ jsonrpc: '2.0', method: WsMethod.Credit, params: { id, credit: Math.max(0, window - this.#buffer.length), ...(lossy ? { lossy } : {}) } })
    if (this.#lastEventId === undefined) return [credit]
    return [credit, JSON.stringify({ jsonrpc: '2.0', method: WsMethod.Resume, params: { id, lastEventId: this.#lastEventId } })]
  }

  #start(): void {
    const { connection, method, params, signal, retryLimit } = this.#setup
    if (signal?.aborted) return this.#end({ error: Promise.resolve(signal.reason) }, false)
    const id = connection.newId()
    const text = requestText(method, params, id)
    this.#id = id
    signal?.addEventListener('abort', this.#onAbort, { once: true })
    const call: PendingCall = {
      id,
      method,
      text,
      subscription: true,
      idempotent: true,
      retryLimit,
      sent: false,
      retries: 0,
      established: false,
      preamble: () => this.#preamble(id),
      next: (value, dropped, eventId) => this.#push(value as T, dropped, eventId),
      settle: (error, result) => this.#end(error ? { error: this.#setup.onError(error) } : { result }, false),
    }
    connection.call(call)
  }

  readonly #onAbort = (): void => {
    this.#end({ error: Promise.resolve(this.#setup.signal!.reason) }, true)
  }

  #push(value: T, dropped: number, eventId: string | undefined): void {
    if (this.#ending) return
    this.#dropped += dropped
    if (eventId !== undefined) this.#lastEventId = eventId
    const waiter = this.#waiters.shift()
    if (waiter) {
      this.#took()
      return waiter.resolve({ value, done: false })
    }
    if (this.#buffer.length >= this.#setup.window) {
      const error = new BufferOverflowError(this.#setup.method, this.#setup.window)
      return this.#end({ error: this.#setup.onError(error as ClientError) }, true)
    }
    this.#buffer.push(value)
  }

  /** Records the ending once, releases the call, and answers waiting consumers. */
  #end(ending: Ending, cancel: boolean): void {
    if (this.#ending) return
    this.#ending = ending
    this.#setup.signal?.removeEventListener('abort', this.#onAbort)
    if (cancel && this.#id !== undefined) this.#setup.connection.cancel(this.#id)
    // Waiters exist only when the buffer is empty.
    for (const waiter of this.#waiters.splice(0)) this.#deliverEnding().then(waiter.resolve, waiter.reject)
  }

  #deliverEnding(): Promise<IteratorResult<T>> {
    const ending = this.#ending!
    if (this.#finished) return Promise.resolve({ value: undefined as T, done: true })
    if ('result' in ending) {
      this.#finished = true
      return Promise.resolve({ value: ending.result as T, done: true })
    }
    this.#finished = true
    return ending.error.then((error) => Promise.reject(error as Error))
  }
}
