/**
 * The client's liveness and idle timers, kept apart from the connection manager that owns them.
 * A dead link may never deliver a close, so after `wsPingInterval` of silence the client sends
 * `$/ping` and drops the line when nothing arrives within `wsPongTimeout`; with `wsIdleTimeout`,
 * an unused connection closes rather than keep a Node script alive (docs/client.md, "WebSocket
 * options"). It holds no socket: the connection reports what arrives and acts on what it hears.
 *
 * @module
 */
import { timerDelay } from '../http/retry.js'
import type { MergedOptions } from '../options.js'

/** What the keep-alive needs from the connection that owns it. */
export interface KeepAliveHost {
  /** Sends one `$/ping` request on the current socket. */
  sendPing(): void
  /** The ping went unanswered: drop the socket as lost, with `reason` in the error. */
  unanswered(reason: string): void
  /** The connection could close for being idle: open, with nothing pending. */
  isIdle(): boolean
  /** Closes the connection for being idle. */
  closeIdle(): void
}

export class KeepAlive {
  #lastReceived = 0
  #pingSentAt = 0
  #pingTimer: ReturnType<typeof setTimeout> | undefined
  #idleTimer: ReturnType<typeof setTimeout> | undefined
  readonly #options: MergedOptions
  readonly #host: KeepAliveHost

  constructor(options: MergedOptions, host: KeepAliveHost) {
    this.#options = options
    this.#host = host
  }

  /** Any message (a pong included) proves the line alive. */
  received(): void {
    this.#lastReceived = Date.now()
  }

  /** Sends `$/ping` once the line has been quiet for `wsPingInterval`; no answer → drop. */
  armPing(): void {
    const interval = this.#options.ws.wsPingInterval
    if (interval === 0) return
    const quiet = Date.now() - this.#lastReceived
    // Re-armed lazily from the last message seen, rather than reset on every message.
    this.#pingTimer = setTimeout(() => {
      if (Date.now() - this.#lastReceived < timerDelay(interval)) return this.armPing()
      this.#pingSentAt = Date.now()
      this.#host.sendPing()
      this.#pingTimer = setTimeout(() => {
        if (this.#lastReceived >= this.#pingSentAt) return this.armPing()
        this.#host.unanswered(`stopped answering: no answer to $/ping within ${this.#options.ws.wsPongTimeout} s (wsPongTimeout)`)
      }, timerDelay(this.#options.ws.wsPongTimeout))
    }, Math.max(0, timerDelay(interval) - quiet))
  }

  /** Starts the `wsIdleTimeout` countdown, unless one is running or the connection is busy. */
  armIdle(): void {
    const timeout = this.#options.ws.wsIdleTimeout
    if (timeout === 0 || !this.#host.isIdle() || this.#idleTimer !== undefined) return
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined
      if (!this.#host.isIdle()) return
      this.#host.closeIdle()
    }, timerDelay(timeout))
  }

  /** A call or notification arrived: the connection is no longer idle. */
  clearIdle(): void {
    clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined
  }

  /** The socket is gone: neither timer may fire for it. */
  clear(): void {
    clearTimeout(this.#pingTimer)
    this.clearIdle()
  }
}
