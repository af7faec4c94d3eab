/**
 * One WebSocket connection: reads frames, runs calls, answers each request id exactly once, and
 * stops everything when the socket closes.
 *
 * Call lifecycle (per id): open → ($/next)* → one terminal response (result | error | -32800
 * cancelled | -32001 shutting down) → nothing more for that id.
 *
 * @module
 */
import { WsErrorCode, WsCloseCode, WsMethod, type ErrorObject, type RequestId, type ResponseMessage } from '../../protocol/ws.js'
import { findPollutingKey } from '../schema/check.js'
import { reportError, toErrorObject } from './failure.js'
import type { ResolvedWsOptions } from './options.js'
import type { WsPeer, WsUpgrade } from './peer.js'
import type { WsRoute } from './route.js'
import { parseFrame, readEnvelope } from './message.js'
import { answer, failure, isThenable, quote, serialize, shuttingDownError, type Outcome } from './response.js'
import { Backlog } from './backlog.js'
import { EarlyMessages, flowOf } from './flow.js'
import { RateLimit } from './rate-limit.js'
import { ConnectionHandle } from './connection-handle.js'
import { CallContext, handlerArguments } from './call-context.js'
import type { PushTopics } from './push.js'
import { SubscriptionStreams, type StreamCall } from './subscription-stream.js'
import { UpgradeMiddleware, type ChainResult } from './upgrade-middleware.js'

/** One call (its id, route, iterator and flow are in StreamCall, which the stream loop reads). */
interface CallState extends StreamCall {
  /** Created only when the handler reads `ctx.signal`: most calls never do. */
  controller?: AbortController
  aborted: boolean
  readonly subscription: boolean
  answered: boolean
  /** `ctx.defer` callbacks, made by the first one. */
  defers?: (() => void | Promise<void>)[]
  /** `$/resume` before the request: the last event id the client received. */
  lastEventId?: string
  /** In a batch: stops the batch waiting for this call's answer (given, or sent otherwise). */
  release?: (response: ResponseMessage | undefined) => void
}

export class Connection {
  private readonly calls = new Map<RequestId, CallState>()
  private readonly running = new Set<CallState>()
  private subscriptions = 0
  /** Requests (calls with an id, not subscriptions) in flight. */
  private requests = 0
  private isClosed = false
  private shuttingDown = false
  private idle: (() => void) | undefined
  /** Calls dispatched to a route so far (for the log). */
  private served = 0
  /** Credit and resume points for ids whose request has not arrived yet (at most maxSubscriptions). */
  private readonly early: EarlyMessages
  private readonly rate: RateLimit | undefined
  /** Far over maxMessageRate: reading nothing more, closing once accepted requests are answered. */
  private flooded = false
  /** `ctx.connection`, made when a handler first reads it. */
  private handle: ConnectionHandle | undefined
  private readonly streams: SubscriptionStreams
  /** Route middleware, run once per chain against the upgrade request. */
  private readonly middleware: UpgradeMiddleware
  private readonly backlog: Backlog
  /** Batches whose array of answers is not sent yet (a shutdown sends them before it closes). */
  private readonly batches = new Set<Promise<void>>()

  constructor(
    readonly id: string,
    private readonly peer: WsPeer,
    private readonly upgrade: WsUpgrade,
    private readonly routes: ReadonlyMap<string, WsRoute>,
    private readonly options: ResolvedWsOptions,
    private readonly topics: PushTopics,
  ) {
    this.rate = options.maxMessageRate > 0 ? new RateLimit(options.maxMessageRate) : undefined
    this.early = new EarlyMessages(options.maxSubscriptions)
    this.streams = new SubscriptionStreams(peer, options, (error, route) => this.report(error, route))
    this.middleware = new UpgradeMiddleware(upgrade, (error, route) => this.toErrorObject(error, route))
    this.backlog = new Backlog(id, peer, options)
  }

  /** Calls dispatched to a route on this connection so far (refused ones not counted). */
  get callCount(): number {
    return this.served
  }

  receive(data: string, isBinary: boolean): void {
    if (this.isClosed || this.flooded) return
    if (isBinary) {
      if (this.limit(1) === 'close') return
      return this.send(failure(null, { code: WsErrorCode.ParseError, message: 'Parse error: binary frames are not supported; send JSON-RPC messages as text frames.' }))
    }
    const parsed = parseFrame(data, this.options.maxDepth)
    const verdict = this.limit(parsed.ok && Array.isArray(parsed.value) ? Math.max(1, parsed.value.length) : 1)
    if (verdict === 'close') return
    if (!parsed.ok) return this.send(failure(null, parsed.error))
    const over = verdict === 'over'
    if (Array.isArray(parsed.value)) {
      const batch = this.batch(parsed.value, over)
      this.batches.add(batch)
      return void batch.then(() => this.batches.delete(batch))
    }
    const outcome = this.single(parsed.value, false, over)
    // A call that runs sends its own answer when it ends; what comes back at once is a refusal, or nothing.
    if (!(outcome instanceof Promise)) this.answer(outcome)
  }

  /** Sends a single message's response, if any (one function per connection, not one per message). */
  private readonly answer = (response: ResponseMessage | undefined): void => {
    if (response) this.send(response)
    this.checkIdle()
  }

  /** A WebSocket ping frame arrived: it costs a token like a message (ping floods). */
  pinged(): void {
    if (!this.isClosed) this.limit(1)
  }

  /**
   * Takes tokens for `count` messages. Far over the rate, the connection reads nothing more and
   * closes (1008) once the requests it accepted are answered (within a second at most).
   */
  private limit(count: number): 'ok' | 'over' | 'close' {
    if (this.flooded) return 'close'
    const verdict = this.rate?.take(count) ?? 'ok'
    if (verdict === 'close') {
      this.flooded = true
      void this.requestsDone(Date.now() + FLOOD_GRACE_MS).then(() => {
        if (!this.isClosed) this.peer.close(WsCloseCode.PolicyViolation, `Message rate over maxMessageRate (${this.options.maxMessageRate}/s): slow down.`)
      })
    }
    return verdict
  }

  /** The socket closed: abort every call, stop every generator, send nothing more. */
  closed(): void {
    this.isClosed = true
    this.backlog.closed()
    this.handle?.closed()
    for (const call of this.running) this.stop(call)
    this.streams.closed()
  }

  async shutdown(deadline: number): Promise<void> {
    this.shuttingDown = true
    for (const call of this.running) if (call.subscription) this.end(call, shuttingDownError())
    // Subscriptions are answered already; wait for the requests only.
    await this.requestsDone(deadline)
    for (const call of this.running) this.end(call, shuttingDownError())
    // Every call is answered: the batches holding answers send their arrays now.
    await Promise.all(this.batches)
    this.peer.close(WsCloseCode.GoingAway, 'Server shutting down.')
  }

  /** Resolves once no request is in flight (their answers sent), or at `deadline` (ms). */
  private async requestsDone(deadline: number): Promise<void> {
    if (this.requests === 0) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))
      this.idle = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  private async batch(messages: unknown[], over: boolean): Promise<void> {
    const { maxBatchSize } = this.options
    if (messages.length === 0 || messages.length > maxBatchSize) {
      const reason = messages.length === 0 ? 'an empty batch' : `a batch of ${messages.length} messages (maxBatchSize is ${maxBatchSize})`
      return this.send(failure(null, { code: WsErrorCode.InvalidRequest, message: `Invalid request: ${reason}.` }))
    }
    const responses = (await Promise.all(messages.map((message) => this.single(message, true, over)))).filter((response) => response !== undefined)
    if (responses.length > 0) this.send(responses)
    this.checkIdle()
  }

  /** During shutdown: wakes it once no request is in flight, after their answers were sent. */
  private checkIdle(): void {
    if (this.requests === 0) this.idle?.()
  }

  /**
   * Handles one message: its response (which a batch collects), if any, at once when the message is
   * refused, or once its call has run. Not `async`: a refusal costs no promise.
   */
  private single(message: unknown, batched = false, over = false): Outcome {
    const envelope = readEnvelope(message)
    if (!envelope.ok) return failure(envelope.id, envelope.error)
    const { id, method, params } = envelope
    const extension = method.startsWith('$/')
    if (extension) {
      // Cancelling and granting credit go on over the rate: flow control must not stall.
      if (method === WsMethod.Cancel) return void this.cancel(params[0])
      if (method === WsMethod.Credit) return void this.early.credit(params[0], (callId) => this.calls.get(callId))
      if (method === WsMethod.Resume) return void this.early.resume(params[0], (callId) => this.calls.has(callId))
    }
    if (over) return id === undefined ? undefined : failure(id, this.rate!.refusal())
    if (method === WsMethod.Ping) return id === undefined ? undefined : { jsonrpc: '2.0', id, result: 'pong' }
    const route = extension ? undefined : this.routes.get(method)
    if (!route) return id === undefined ? undefined : failure(id, { code: WsErrorCode.MethodNotFound, message: `Method not found: ${quote(method)}.` })
    const subscription = route.entry.pattern === 's'
    // A subscription cannot answer a notification: there is nobody to send items to.
    if (subscription && id === undefined) return undefined
    // A subscription in a batch answers outside the array: its terminal response is its own frame.
    if (subscription && batched) return void Promise.resolve(this.single(message)).then((response) => response && this.send(response))
    const early = this.early.take(id)
    if (id !== undefined) {
      const refused = this.refuse(id, subscription)
      if (refused) return refused
    } else if (this.running.size - this.subscriptions >= this.options.maxInFlight) {
      // Notifications count against maxInFlight too; one over it cannot be answered, so it is dropped.
      return undefined
    }
    const call: CallState = { id, route: route.entry.name, aborted: false, subscription, answered: false }
    if (early && subscription) {
      call.flow = flowOf(early)
      call.lastEventId = early.lastEventId
    }
    this.served++
    this.running.add(call)
    if (id !== undefined) this.calls.set(id, call)
    if (subscription) this.subscriptions++
    else if (id !== undefined) this.requests++
    const outcome = this.track(call, route, params, batched)
    if (!batched || !(outcome instanceof Promise)) return outcome
    // A batch does not wait for a notification (it has no answer), nor for a call answered
    // otherwise (cancelled, or cut by a shutdown): `end` releases it.
    if (id === undefined) return undefined
    return new Promise((resolve) => {
      call.release = resolve
      outcome.then(resolve, () => resolve(undefined))
    })
  }

  /**
   * Runs an accepted call. Its route loaded and its middleware's outcome known (the common case),
   * the handler runs now, and a request's answer leaves as soon as the handler's value is known: no
   * promise of ours in between. Returns the response a batch collects, or the promise of it.
   */
  private track(call: CallState, route: WsRoute, params: unknown[], batched: boolean): Outcome {
    const definition = route.loaded
    const chain = definition && this.middleware.settled(definition.middleware)
    if (!chain) return this.run(call, route, params, batched)
    if (!chain.ok) return this.finish(call, failure(call.id ?? null, chain.error), batched)
    return this.invoke(call, route, definition.handler, chain.defines, params, batched)
  }

  /**
   * A call ended: its response is sent (or, in a batch, returned) unless the call was answered
   * otherwise; then the call is forgotten, its defers run (a promise until they have), and a
   * waiting shutdown hears when no request is left.
   */
  private finish(call: CallState, response: ResponseMessage | undefined, batched: boolean): Outcome {
    const { id } = call
    let collected: ResponseMessage | undefined
    if (response && !call.answered && id !== undefined) {
      call.answered = true
      if (batched) collected = response
      else this.send(response)
    }
    if (call.subscription) this.subscriptions--
    else if (id !== undefined) this.requests--
    this.running.delete(call)
    if (id !== undefined && this.calls.get(id) === call) this.calls.delete(id)
    if (!call.defers) return batched ? collected : void this.checkIdle()
    // The answer does not wait for the defers (a batch's neither); a shutdown waits for them.
    const deferred = this.runDefers(call.defers, call.route).then(() => this.checkIdle())
    return batched ? collected : (deferred as Promise<undefined>)
  }

  private async runDefers(defers: (() => void | Promise<void>)[], route: string): Promise<void> {
    for (const defer of defers) await Promise.resolve().then(defer).catch((error: unknown) => this.report(error, route))
  }

  private refuse(id: RequestId, subscription: boolean): ResponseMessage | undefined {
    if (this.calls.has(id)) return failure(id, { code: WsErrorCode.InvalidRequest, message: `Invalid request: id ${quote(id)} is already in flight; use a new id.` })
    if (this.shuttingDown) return failure(id, shuttingDownError())
    const { maxInFlight, maxSubscriptions } = this.options
    if (subscription && this.subscriptions >= maxSubscriptions) {
      return failure(id, { code: 429, message: `Too many subscriptions: ${maxSubscriptions} are open on this connection (maxSubscriptions); cancel one first.` })
    }
    if (!subscription && this.requests >= maxInFlight) {
      return failure(id, { code: 429, message: `Too many requests in flight: ${maxInFlight} on this connection (maxInFlight); wait for answers before sending more.` })
    }
    return undefined
  }

  /** A call whose route must load first, or whose middleware has not run on this connection yet. */
  private async run(call: CallState, route: WsRoute, params: unknown[], batched: boolean): Promise<ResponseMessage | undefined> {
    let definition: NonNullable<WsRoute['loaded']>
    let chain: ChainResult
    try {
      definition = route.loaded ?? (await route.load())
      chain = await this.middleware.of(definition.middleware, route.entry.name)
    } catch (error) {
      return this.finish(call, this.failed(call, error), batched)
    }
    if (!chain.ok) return this.finish(call, failure(call.id ?? null, chain.error), batched)
    // Cancelled (or the connection closed) while the route loaded or its middleware ran.
    if (call.aborted) return this.finish(call, undefined, batched)
    return this.invoke(call, route, definition.handler, chain.defines, params, batched)
  }

  /**
   * Checks the params and calls the handler, then finishes the call: at once when the handler
   * returns a value, in the reaction to its promise when it returns one (that reaction sends the
   * answer: no promise of ours in between). A subscription streams its items first.
   */
  private invoke(call: CallState, route: WsRoute, handler: (...args: unknown[]) => unknown, defines: Record<string, unknown>, params: unknown[], batched: boolean): Outcome {
    const id = call.id ?? null
    let result: unknown
    try {
      const checked = route.check ? route.check(params, false) : { ok: true as const, value: params }
      // A closed schema refuses polluting keys itself: scan only to name the key when the check fails.
      const polluting = checked.ok && !route.scanParams ? undefined : findPollutingKey(params)
      if (polluting) {
        const message = `Invalid params: forbidden key at ${polluting}; it could pollute object prototypes, rename it.`
        return this.finish(call, failure(id, { code: WsErrorCode.InvalidParams, message, data: { path: polluting } }), batched)
      }
      if (!checked.ok) {
        const { path, problem, value } = checked.invalid
        const data = value === undefined ? { path } : { path, value }
        return this.finish(call, failure(id, { code: WsErrorCode.InvalidParams, message: `Invalid params: ${path || '(root)'} ${problem}.`, data }), batched)
      }
      const ctx = this.context(call, defines)
      result = Reflect.apply(handler, ctx, handlerArguments(route.fixedParams, checked.value as unknown[], ctx))
    } catch (error) {
      return this.finish(call, this.failed(call, error), batched)
    }
    const onError = (error: unknown) => this.finish(call, this.failed(call, error), batched)
    if (call.subscription) return Promise.resolve(result).then((value) => this.streams.stream(call, value)).then((response) => this.finish(call, response, batched), onError)
    if (isThenable(result)) return Promise.resolve(result).then((value) => this.finish(call, answer(id, value), batched), onError)
    return this.finish(call, answer(id, result), batched)
  }

  /** A handler (or what ran before it) threw: the error response, unless the call was stopped. */
  private failed(call: CallState, error: unknown): ResponseMessage | undefined {
    return call.aborted ? undefined : failure(call.id ?? null, this.toErrorObject(error, call.route))
  }

  /** `ctx.connection`: one per connection, for handlers that push to it later. */
  private readonly connectionOf = (): ConnectionHandle => this.connectionHandle()

  private connectionHandle(): ConnectionHandle {
    this.handle ??= new ConnectionHandle(this.id, this.peer, this.options.highWaterMark, this.topics, (error) => this.report(error, undefined))
    if (this.isClosed) this.handle.closed()
    return this.handle
  }

  private context(call: CallState, defines: Record<string, unknown>): CallContext {
    return new CallContext(call, this.id, this.upgrade, this.options.pubsub, this.connectionOf, defines)
  }

  private cancel(target: unknown): void {
    const id = typeof target === 'object' && target !== null ? (target as { id?: unknown }).id : undefined
    const call = typeof id === 'string' || typeof id === 'number' ? this.calls.get(id) : undefined
    if (call) this.end(call, { code: WsErrorCode.RequestCancelled, message: 'Request cancelled.' })
  }

  /** Stops a call and answers it with `error` unless it was answered already. */
  private end(call: CallState, error: ErrorObject): void {
    this.stop(call)
    if (call.id !== undefined && !call.answered) {
      call.answered = true
      this.send(failure(call.id, error))
    }
    call.release?.(undefined)
  }

  private stop(call: CallState): void {
    call.aborted = true
    call.controller?.abort()
    call.flow?.wake?.()
    // return() runs the generator's finally blocks (after a pending next() settles). Called from a
    // promise reaction: a hand-made return() that throws, or returns no promise, is reported alike.
    const { iterator } = call
    if (iterator) void Promise.resolve().then(() => iterator.return?.()).catch((error: unknown) => this.report(error, call.route))
  }

  /** An unexpected error, to `onError` and the log (with the route, when known). */
  private report(error: unknown, route: string | undefined): void {
    reportError(error, this.options, this.upgrade.request, { route, connection: this.id })
  }

  private toErrorObject(error: unknown, route: string): ErrorObject {
    return toErrorObject(error, this.options, this.upgrade.request, { route, connection: this.id })
  }

  private send(message: unknown): void {
    if (this.isClosed) return
    const text = Array.isArray(message) ? `[${message.map((item) => serialize(item, this.unsendable)).join(',')}]` : serialize(message, this.unsendable)
    if (text) this.backlog.send(text)
  }

  /** A notification that cannot be sent as JSON: reported, not sent. */
  private readonly unsendable = (error: unknown): void => this.report(error, undefined)
}

/** Longest wait (ms) for the answers a flooding connection is owed before it is closed with 1008. */
const FLOOD_GRACE_MS = 1000
