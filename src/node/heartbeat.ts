/**
 * Server pings (docs/websocket.md, `pingInterval` / `pongTimeout`): one timer for the whole server
 * rather than an interval and a timeout per connection. Every tick it pings the connections quiet
 * for `pingInterval` and ends those whose ping went unanswered for `pongTimeout`.
 *
 * @module
 */

interface Member {
  /** When the last ping was sent (ms), or when the connection joined. */
  pingedAt: number
  awaitingPong: boolean
  ping(): void
  dead(): void
}

/** How often the timer looks, as a fraction of the shorter of the two durations. */
const TICKS_PER_PERIOD = 4

export class Heartbeat {
  private readonly members = new Set<Member>()
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly tickMs: number

  constructor(
    private readonly pingIntervalMs: number,
    private readonly pongTimeoutMs: number,
  ) {
    // Precise to a quarter of a period, between 10 ms and 1 s.
    this.tickMs = Math.min(1000, Math.max(10, Math.min(pingIntervalMs, pongTimeoutMs) / TICKS_PER_PERIOD))
  }

  /** Starts watching a connection; returns `pong()` (call it on each pong) and `stop()`. */
  watch(ping: () => void, dead: () => void): { pong(): void; stop(): void } {
    const member: Member = { pingedAt: Date.now(), awaitingPong: false, ping, dead }
    this.members.add(member)
    this.timer ??= setInterval(() => this.tick(), this.tickMs)
    return {
      pong: () => void (member.awaitingPong = false),
      stop: () => {
        this.members.delete(member)
        if (this.members.size === 0) this.stopTimer()
      },
    }
  }

  private tick(): void {
    const now = Date.now()
    for (const member of this.members) {
      if (member.awaitingPong) {
        if (now - member.pingedAt < this.pongTimeoutMs) continue
        this.members.delete(member)
        member.dead()
      } else if (now - member.pingedAt >= this.pingIntervalMs) {
        member.pingedAt = now
        member.awaitingPong = true
        member.ping()
      }
    }
    if (this.members.size === 0) this.stopTimer()
  }

  private stopTimer(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }
}
