/**
 * The connection manager: one WebSocket shared by every WebSocket call of a client. It opens on
 * the first call, pings when the line is quiet, drops a connection that stops answering,
 * reconnects with backoff, sends again what the drop lost (subscriptions always, requests when
 * allowed), and closes when idle (docs/websocket.md, "Client").
 *
 * @module
 */
import { WsErrorCode, WsMethod, type ErrorObject } from '../../protocol/ws.js'
import { NetworkError, ResyncRequiredError, WsRequestError } from '../errors.js'
import { fullJitter, timerDelay } from '../http/retry.js'
import type { MergedOptions } from '../options.js'
import { abandon, createSocket, errorOf, onMessage, refusedStatus, textWriter } from './socket.js'
import { KeepAlive } from './keep-alive.js'
import { PushListeners } from './push.js'
import type { ConnectionState, PendingCall, PendingNotification, StateListener } from './pending.js'

export type { ConnectionState, PendingCall, PendingNotification, StateListener } from './pending.js'

/** Close codes after which reconnecting would only be refused again. */
const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([1002, 1003, 1007, 1008, 1010])

/** Base of the reconnect backoff, in seconds: attempt n waits up to `min(cap, 0.5 * 2 ** n)`. */
const BACKOFF_BASE = 0.5

/** Upgrade refusals worth retrying: the server may be busy rather than unwilling. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429])

export class Connection {
  #state: ConnectionState = 'idle'
  #socket: WebSocket | undefined
  /** Bumped to orphan a socket still being created when the connection moves on. */
  #generation = 0
  readonly #calls = new Map<number, PendingCall>()
  #notifications: PendingNotification[] = []
  readonly #listeners = new Set<StateListener>()
  /** Listeners of `$/push` events (`client.<event>.on`). */
  readonly pushes = new PushListeners()
  #nextId = 1
  /** Consecutive failed connection attempts (reset when a socket opens). */
  #failures = 0
  #reconnecting = false
  /** A socket is being created (headers, URL, constructor are async). */
  #creating = false
  /** The `$/ping` and `wsIdleTimeout` timers. */
  readonly #keepAlive: KeepAlive
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined
  /** Writes a text message on the open socket (set when it opens; see `textWriter`). */
  #writeText: ((text: string) => void) | undefined

  constructor(readonly options: MergedOptions) {
    this.#keepAlive = new KeepAlive(options, {
      sendPing: () => void this.#send(JSON.stringify({ jsonrpc: '2.0', id: this.newId(), method: WsMethod.Ping })),
      unanswered: (reason) => {
        this.#detach()
        this.#lost(1006, reason)
      },
      isIdle: () => this.#state === 'open' && this.pending === 0,
      closeIdle: () => {
        this.#stop()
        this.#setState('idle')
      },
    })
  }

  get state(): ConnectionState {
    return this.#state
  }

  /** Calls and subscriptions waiting for their terminal response, and queued notifications. */
  get pending(): number {
    return this.#calls.size + this.#notifications.length
  }

  onStateChange(listener: StateListener): () => void {
    this.#listeners.add(listener)
    return () => void this.#listeners.delete(listener)
  }

  newId(): number {
    return this.#nextId++
  }

  /** Tracks a request or subscription and sends it now, or as soon as the socket opens. */
  call(call: PendingCall): void {
    this.#calls.set(call.id, call)
    this.#keepAlive.clearIdle()
    if (this.#state === 'open') this.#write(call)
    else this.#ensureConnecting()
  }

  /** Writes a notification now, or queues it until the socket opens. */
  notify(notification: PendingNotification): void {
    if (this.#state === 'open' && this.#send(notification.text)) {
      notification.written()
      return
    }
    this.#notifications.push(notification)
    this.#keepAlive.clearIdle()
    this.#ensureConnecting()
  }

  /** Drops a queued notification (its signal aborted). */
  unqueue(notification: PendingNotification): void {
    this.#notifications = this.#notifications.filter((item) => item !== notification)
    this.#keepAlive.armIdle()
  }

  /** Forgets call `id`; when the server has it, sends `$/cancel`. Its settle is not called. */
  cancel(id: number): void {
    const call = this.#calls.get(id)
    if (!call) return
    this.#calls.delete(id)
    if (call.sent && this.#state === 'open') this.#send(JSON.stringify({ jsonrpc: '2.0', method: WsMethod.Cancel, params: { id } }))
    this.#keepAlive.armIdle()
  }

  /** `$/credit`: grants subscription `id` more items, when the server has it. */
  grant(id: number, credit: number): void {
    const call = this.#calls.get(id)
    if (call?.sent && this.#state === 'open') this.#send(JSON.stringify({ jsonrpc: '2.0', method: WsMethod.Credit, params: { id, credit } }))
  }

  /** Closes the socket and fails every call in flight; the next call opens a new socket. */
  close(): void {
    this.#stop()
    this.#failAll((target) => new NetworkError(target, undefined, 'The connection was closed by `connectionOf(client).close()`.'))
    this.#setState('closed')
  }

  #setState(next: ConnectionState): void {
    const previous = this.#state
    if (next === previous) return
    this.#state = next
    for (const listener of [...this.#listeners]) {
      try {
        listener(next, previous)
      } catch (error) {
        // A listener's bug must not break the connection; surface it like an event listener's.
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  #ensureConnecting(): void {
    if (this.#socket || this.#creating || this.#reconnectTimer !== undefined) return
    this.#connect()
  }

  #connect(): void {
    this.#setState(this.#reconnecting ? 'reconnecting' : 'connecting')
    const generation = ++this.#generation
    this.#creating = true
    createSocket(this.options).then(
      (socket) => {
        if (generation !== this.#generation) return abandon(socket)
        this.#creating = false
        this.#adopt(socket, generation)
      },
      (error: unknown) => {
        if (generation !== this.#generation) return
        // No socket could even be made (a relative prefixUrl outside a browser, no WebSocket
        // implementation, a headers or wsParams function that threw): retrying cannot help.
        this.#creating = false
        this.#reconnecting = false
        this.#failAll(() => (error instanceof Error ? error : new Error(String(error))))
        this.#setState('closed')
      },
    )
  }

  #adopt(socket: WebSocket, generation: number): void {
    this.#socket = socket
    let opened = false
    let lastError: Event | undefined
    this.#handshakeTimer = setTimeout(() => {
      this.#detach()
      this.#attemptFailed(new Error(`no WebSocket handshake within ${this.options.ws.wsPongTimeout} s (wsPongTimeout)`), undefined)
    }, timerDelay(this.options.ws.wsPongTimeout))
    socket.onopen = () => {
      opened = true
      this.#writeText = textWriter(socket)
      clearTimeout(this.#handshakeTimer)
      this.#opened()
    }
    onMessage(socket, (data) => this.#receive(data))
    socket.onerror = (event: Event) => void (lastError = event)
    socket.onclose = (event: CloseEvent) => {
      if (generation !== this.#generation) return
      this.#socket = undefined
      clearTimeout(this.#handshakeTimer)
      if (!opened) this.#attemptFailed(errorOf(lastError, event), lastError && refusedStatus(lastError))
      else this.#lost(event.code, `closed with code ${event.code}${event.reason ? ` (${event.reason})` : ''}`)
    }
  }

  #opened(): void {
    this.#failures = 0
    this.#reconnecting = false
    this.#keepAlive.received()
    this.#setState('open')
    for (const call of this.#calls.values()) if (!call.sent) this.#write(call)
    const notifications = this.#notifications
    this.#notifications = []
    for (const notification of notifications) {
      if (this.#send(notification.text)) notification.written()
      else this.#notifications.push(notification)
    }
    this.#keepAlive.armPing()
    this.#keepAlive.armIdle()
  }

  #attemptFailed(cause: unknown, status: number | undefined): void {
    this.#socket = undefined
    this.#failures++
    const refused = status !== undefined && status >= 400 && status < 500 && !RETRYABLE_STATUSES.has(status)
    const detail = refused
      ? `The server refused the WebSocket upgrade with status ${status}: check the credentials (\`headers\`, \`wsParams\`) and the server's \`allowedOrigins\`.`
      : undefined
    const gaveUp = (waiter: { retries: number; retryLimit: number }, established = false) => refused || (!established && ++waiter.retries > waiter.retryLimit)
    for (const call of [...this.#calls.values()]) {
      if (gaveUp(call, call.established)) this.#settle(call, new NetworkError(call, cause, detail))
    }
    this.#notifications = this.#notifications.filter((notification) => {
      if (!gaveUp(notification)) return true
      notification.fail(new NetworkError(notification, cause, detail))
      return false
    })
    if (this.pending > 0) this.#scheduleReconnect()
    else {
      this.#reconnecting = false
      this.#setState('closed')
    }
  }

  /** The open socket closed or was dropped: fail or keep each call, then reconnect if needed. */
  #lost(code: number, reason: string): void {
    this.#socket = undefined
    this.#clearTimers()
    const fatal = FATAL_CLOSE_CODES.has(code)
    const cause = new Error(`the WebSocket connection ${reason}`)
    for (const call of [...this.#calls.values()]) {
      if (fatal) this.#settle(call, new NetworkError(call, cause, 'The server closed the connection for good; reconnecting would not help.'))
      else if (!call.sent || call.subscription) call.sent = false
      else if (call.idempotent && call.retries < call.retryLimit) {
        call.retries++
        call.sent = false
      } else {
        this.#settle(call, new NetworkError(call, cause, 'The request was sent, so it may or may not have run; mark it `idempotent` to have it sent again.'))
      }
    }
    if (fatal) {
      this.#failAll((target) => new NetworkError(target, cause))
      this.#setState('closed')
    } else if (this.pending > 0) {
      this.#reconnecting = true
      this.#setState('reconnecting')
      this.#scheduleReconnect()
    } else {
      this.#setState('idle')
    }
  }

  #scheduleReconnect(): void {
    const cap = this.options.retry.backoffLimit ?? 30
    // Clients dropped together by a restart do not all come back at once.
    const delay = fullJitter(BACKOFF_BASE, cap, this.#failures)
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      if (this.pending > 0) this.#connect()
      else {
        this.#reconnecting = false
        this.#setState('idle')
      }
    }, timerDelay(delay))
  }

  #receive(data: unknown): void {
    this.#keepAlive.received()
    if (typeof data !== 'string') return
    let message: unknown
    try {
      message = JSON.parse(data)
    } catch {
      return // not ours to answer: the protocol has no server-bound error for this
    }
    if (Array.isArray(message)) for (const item of message) this.#dispatch(item)
    else this.#dispatch(message)
  }

  #dispatch(message: unknown): void {
    if (typeof message !== 'object' || message === null) return
    const { id, method, params, error } = message as {
      id?: unknown
      method?: unknown
      params?: { id?: unknown; value?: unknown; dropped?: unknown; eventId?: unknown }
      error?: ErrorObject
    }
    if (method === WsMethod.Push) return this.pushes.dispatch(params)
    if (method === WsMethod.Next) {
      const call = typeof params?.id === 'number' ? this.#calls.get(params.id) : undefined
      const { dropped, eventId } = params ?? {}
      call?.next(params?.value, typeof dropped === 'number' && dropped > 0 ? dropped : 0, typeof eventId === 'string' ? eventId : undefined)
      return
    }
    const call = typeof id === 'number' ? this.#calls.get(id) : undefined
    if (!call) return // a pong, or the answer to a call already cancelled
    if (error !== undefined) {
      const object = normalizeError(error)
      const wsError = object.code === WsErrorCode.ResyncRequired ? new ResyncRequiredError(call.method, object) : new WsRequestError(call.method, object)
      // A restarting server ends subscriptions with -32001, then closes: resubscribe after reconnecting.
      if (call.subscription && wsError.code === -32001) call.sent = false
      else this.#settle(call, wsError)
    } else if ('result' in message) {
      this.#settle(call, undefined, (message as { result: unknown }).result)
    }
  }

  #settle(call: PendingCall, error: Error | undefined, result?: unknown): void {
    this.#calls.delete(call.id)
    call.settle(error, result)
    this.#keepAlive.armIdle()
  }

  #write(call: PendingCall): void {
    if (call.preamble) for (const text of call.preamble()) if (!this.#send(text)) return
    if (!this.#send(call.text)) return
    call.sent = true
    if (call.subscription) call.established = true
  }

  #send(text: string): boolean {
    const socket = this.#socket
    if (!socket || socket.readyState !== 1) return false
    if (this.#writeText) this.#writeText(text)
    else socket.send(text)
    return true
  }

  #clearTimers(): void {
    this.#keepAlive.clear()
    clearTimeout(this.#handshakeTimer)
    clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = undefined
  }

  /** Closes the socket on purpose: nothing reconnects. */
  #stop(): void {
    this.#clearTimers()
    this.#generation++
    this.#creating = false
    this.#reconnecting = false
    this.#failures = 0
    const socket = this.#socket
    this.#socket = undefined
    if (socket) abandon(socket, 1000)
  }

  /** Lets go of a socket we no longer trust; its events no longer reach us. */
  #detach(): void {
    this.#generation++
    const socket = this.#socket
    this.#socket = undefined
    if (socket) abandon(socket)
  }

  #failAll(error: (target: { method: string }) => Error): void {
    for (const call of [...this.#calls.values()]) this.#settle(call, error(call))
    const notifications = this.#notifications
    this.#notifications = []
    for (const notification of notifications) notification.fail(error(notification))
  }
}

function normalizeError(error: unknown): ErrorObject {
  const { code, message, data } = (typeof error === 'object' && error !== null ? error : {}) as Partial<ErrorObject>
  return { code: typeof code === 'number' ? code : -32603, message: typeof message === 'string' ? message : 'Unknown error.', data }
}
