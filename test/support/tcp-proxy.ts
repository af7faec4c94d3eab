// A TCP proxy for fault tests: forwards 127.0.0.1:<port> to a target, and can stop forwarding
// (a half-open link: both ends stay open, nothing gets through), reset every connection, or refuse
// new ones. It can also slow the link down (per-direction latency with jitter, order preserved),
// deliver it one byte at a time, and reset a connection at a chosen point of the WebSocket traffic:
// inside the HTTP upgrade, inside a frame, or between two frames. Written for the tests; no
// external tool.
import net from 'node:net'

/** `up`: client → server; `down`: server → client. */
export type Direction = 'up' | 'down'

/** Per-direction latency: each chunk is delayed by `ms ± jitter` (uniform), chunks stay in order. */
export interface Latency {
  ms: number
  jitter?: number
}

/** Where `cutNext` / `cutOpen` reset a connection. */
export interface CutPlan {
  /** The direction whose bytes are counted and truncated. */
  direction: Direction
  /**
   * `handshake`: inside the HTTP upgrade request (`up`) or response (`down`), after 1 byte at least
   * and before its last byte. `frame`: inside a WebSocket frame (its header or payload), after its
   * first byte and before its last. `stream`: exactly at a frame boundary, between two frames.
   */
  at: 'handshake' | 'frame' | 'stream'
  /** For `frame` and `stream`: frame bytes to let through (in that direction) after arming, first. @default 0 */
  after?: number
}

/** What a cut did. */
export interface Cut {
  direction: Direction
  at: CutPlan['at']
  /** Bytes forwarded in that direction on that connection before the reset. */
  forwarded: number
  /** Bytes of the unit that was cut (the HTTP head, or the frame) that got through. */
  offset: number
  /** Length of the unit that was cut (HTTP head with its blank line, or frame with its header); for `stream`, the frame just completed. */
  length: number
}

/** Bytes and writes forwarded in one direction, over every connection. */
export interface LaneStats {
  bytes: number
  writes: number
  /** Complete WebSocket frames seen. */
  frames: number
}

export interface TcpProxy {
  readonly port: number
  /** Connections accepted so far. */
  readonly accepted: number
  /** Connections currently open. */
  readonly open: number
  /** Forwarded bytes, writes and frames per direction, over every connection. */
  readonly stats: Readonly<Record<Direction, LaneStats>>
  /**
   * Stops forwarding on the connections open now, both ways, without closing them: data is
   * dropped, and a close or reset of one end is not passed to the other (each end stays open until
   * it gives up by itself). New connections forward normally.
   */
  blackhole(): void
  /** Destroys every open connection with a TCP reset. */
  resetAll(): void
  /** Points new connections at another target port. */
  retarget(port: number): void
  /** Latency per direction, for new and open connections (chunks already queued keep theirs); `undefined` turns it off. */
  latency(up: Latency | undefined, down?: Latency | undefined): void
  /** Delivers every chunk one byte per write, with `setImmediate` (or `delayMs`) between bytes; `false` turns it off. */
  byteAtATime(on: boolean | { delayMs: number }): void
  /** Resets the next accepted connection as planned; resolves with what was cut. */
  cutNext(plan: CutPlan): Promise<Cut>
  /** Resets one of the connections open now as planned (the most recent one); resolves with what was cut, rejects when none is open. */
  cutOpen(plan: CutPlan): Promise<Cut>
  /** Called with the text of each complete, unfragmented text frame (unmasked), `up` and `down`. For tests that look at the traffic. */
  onFrame(listener: ((direction: Direction, opcode: number, payload: Buffer) => void) | undefined): void
  close(): Promise<void>
}

interface Armed {
  plan: CutPlan
  resolve(cut: Cut): void
  /** Frame bytes counted from here (absolute offset in the lane). */
  from: number
  /** The absolute offset to cut at, once known, and the unit it belongs to. */
  cutAt?: number
  unit?: { start: number; length: number }
}

/**
 * Follows one direction of a WebSocket connection: the HTTP head, then frames (RFC 6455 §5.2),
 * masked or not. Reports where each unit starts and ends, as absolute byte offsets.
 */
class Scanner {
  offset = 0
  headEnd: number | undefined
  #tail = ''
  #header: number[] = []
  #headerStart = 0
  #remaining = 0
  #frameStart = 0
  #frameLength = 0
  #payload: Buffer[] | undefined
  #opcode = 0
  #fin = false
  #mask: number[] = []
  /** Frame ends seen, for boundary cuts; and the frame being read, for mid-frame cuts. */
  onHead?: (end: number) => void
  onFrameStart?: (start: number, length: number) => void
  onFrameEnd?: (start: number, end: number) => void
  onText?: (opcode: number, payload: Buffer) => void

  scan(chunk: Buffer): void {
    let i = 0
    while (i < chunk.length) {
      if (this.headEnd === undefined) {
        const text = this.#tail + chunk.subarray(i).toString('latin1')
        const found = text.indexOf('\r\n\r\n')
        if (found === -1) {
          this.#tail = text.slice(-3)
          this.offset += chunk.length - i
          return
        }
        const consumed = found + 4 - this.#tail.length
        this.#tail = ''
        this.offset += consumed
        i += consumed
        this.headEnd = this.offset
        this.onHead?.(this.headEnd)
        continue
      }
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - i)
        if (this.#payload) this.#payload.push(chunk.subarray(i, i + take))
        this.#remaining -= take
        this.offset += take
        i += take
        if (this.#remaining === 0) this.#frameDone()
        continue
      }
      if (this.#header.length === 0) this.#headerStart = this.offset
      this.#header.push(chunk[i]!)
      this.offset++
      i++
      const needed = this.#headerLength()
      if (needed !== undefined && this.#header.length === needed) this.#startPayload()
    }
  }

  #headerLength(): number | undefined {
    const h = this.#header
    if (h.length < 2) return undefined
    const masked = (h[1]! & 0x80) !== 0
    const len7 = h[1]! & 0x7f
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0)
  }

  #startPayload(): void {
    const h = this.#header
    const masked = (h[1]! & 0x80) !== 0
    const len7 = h[1]! & 0x7f
    let length = len7
    let at = 2
    if (len7 === 126) {
      length = (h[2]! << 8) | h[3]!
      at = 4
    } else if (len7 === 127) {
      length = 0
      for (let k = 2; k < 10; k++) length = length * 256 + h[k]!
      at = 10
    }
    this.#mask = masked ? h.slice(at, at + 4) : []
    this.#opcode = h[0]! & 0x0f
    this.#fin = (h[0]! & 0x80) !== 0
    this.#frameStart = this.#headerStart
    this.#frameLength = h.length + length
    this.#remaining = length
    this.#header = []
    this.onFrameStart?.(this.#frameStart, this.#frameLength)
    this.#payload = this.onText && length <= 1 << 20 ? [] : undefined
    if (length === 0) this.#frameDone()
  }

  #frameDone(): void {
    if (this.#payload && this.onText && this.#fin) {
      const payload = Buffer.concat(this.#payload)
      if (this.#mask.length === 4) for (let k = 0; k < payload.length; k++) payload[k]! ^= this.#mask[k & 3]!
      this.onText(this.#opcode, payload)
    }
    this.#payload = undefined
    this.onFrameEnd?.(this.#frameStart, this.#frameStart + this.#frameLength)
  }
}

interface Pair {
  client: net.Socket
  upstream: net.Socket
  holes: boolean
  cutting: boolean
  lanes: Record<Direction, Lane>
}

/** One direction of one connection: a queue (for latency and byte-at-a-time), the scanner, the cut. */
class Lane {
  readonly scanner = new Scanner()
  readonly queue: { chunk: Buffer; at: number }[] = []
  lastAt = 0
  timer: NodeJS.Timeout | undefined
  pumping = false
  /** Between two bytes of a byte-at-a-time chunk. */
  waiting = false
  armed: Armed | undefined
  /** Bytes written on so far. */
  written = 0

  constructor(
    readonly direction: Direction,
    readonly pair: Pair,
    readonly to: net.Socket,
    readonly proxy: ProxyState,
  ) {
    this.scanner.onText = (opcode, payload) => proxy.frameListener?.(direction, opcode, payload)
    this.scanner.onHead = (end) => this.#plan({ start: 0, length: end }, 'handshake')
    this.scanner.onFrameStart = (start, length) => this.#plan({ start, length }, 'frame')
    this.scanner.onFrameEnd = (start, end) => {
      proxy.stats[direction].frames++
      this.#plan({ start, length: end - start }, 'stream')
    }
  }

  /** Chooses the cut offset once the unit it falls in is known. */
  #plan(unit: { start: number; length: number }, kind: CutPlan['at']): void {
    const armed = this.armed
    if (!armed || armed.cutAt !== undefined || armed.plan.at !== kind) return
    if (kind === 'handshake') {
      const low = Math.max(unit.start + 1, this.written + 1)
      const high = unit.start + unit.length - 1
      if (low > high) return
      armed.cutAt = low + Math.floor(Math.random() * (high - low + 1))
    } else if (kind === 'frame') {
      if (unit.start < armed.from + (armed.plan.after ?? 0)) return
      const low = Math.max(unit.start + 1, this.written + 1)
      const high = unit.start + unit.length - 1
      if (low > high) return
      armed.cutAt = low + Math.floor(Math.random() * (high - low + 1))
    } else {
      const end = unit.start + unit.length
      if (end < armed.from + (armed.plan.after ?? 0) || end <= this.written) return
      armed.cutAt = end
    }
    armed.unit = unit
  }

  push(chunk: Buffer): void {
    if (this.pair.holes || this.pair.cutting) return
    const latency = this.proxy.latency[this.direction]
    let at = 0
    if (latency) {
      const jitter = latency.jitter ?? 0
      at = Math.max(this.lastAt, Date.now() + latency.ms + (Math.random() * 2 - 1) * jitter)
      this.lastAt = at
    }
    this.queue.push({ chunk, at })
    this.pump()
  }

  pump(): void {
    if (this.pumping || this.waiting || this.timer) return
    this.pumping = true
    try {
      while (this.queue.length > 0) {
        if (this.pair.holes || this.pair.cutting || this.to.destroyed) {
          this.queue.length = 0
          return
        }
        const head = this.queue[0]!
        const wait = head.at - Date.now()
        if (wait > 0) {
          this.timer = setTimeout(() => {
            this.timer = undefined
            this.pump()
          }, wait)
          return
        }
        const bytewise = this.proxy.bytewise
        if (bytewise && head.chunk.length > 1) {
          this.emit(head.chunk.subarray(0, 1))
          head.chunk = head.chunk.subarray(1)
          this.waiting = true
          const resume = () => {
            this.waiting = false
            this.timer = undefined
            this.pump()
          }
          if (bytewise === true) setImmediate(resume)
          else this.timer = setTimeout(resume, bytewise.delayMs)
          return
        }
        this.queue.shift()
        this.emit(head.chunk)
      }
    } finally {
      this.pumping = false
    }
  }

  /** Writes `chunk` on, scanning it, and cuts the connection where the armed plan says. */
  emit(chunk: Buffer): void {
    if (this.pair.cutting) return
    const start = this.written
    this.scanner.scan(chunk)
    const armed = this.armed
    let out = chunk
    let cutNow = false
    if (armed?.cutAt !== undefined && armed.cutAt <= start + chunk.length) {
      out = chunk.subarray(0, Math.max(0, armed.cutAt - start))
      cutNow = true
    }
    if (out.length > 0) {
      this.written += out.length
      this.proxy.stats[this.direction].bytes += out.length
      this.proxy.stats[this.direction].writes++
      if (!this.to.destroyed) this.to.write(out)
    }
    if (!cutNow) return
    const unit = armed!.unit!
    const cut: Cut = {
      direction: this.direction,
      at: armed!.plan.at,
      forwarded: this.written,
      offset: this.written - unit.start,
      length: unit.length,
    }
    this.armed = undefined
    this.pair.cutting = true
    // Let the bytes reach the peer's process before the reset (a reset can discard unread data).
    const reset = () => {
      this.pair.client.resetAndDestroy()
      this.pair.upstream.resetAndDestroy()
      armed!.resolve(cut)
    }
    if (this.to.destroyed) return reset()
    this.to.write(Buffer.alloc(0), () => setTimeout(reset, 5))
  }
}

interface ProxyState {
  latency: Record<Direction, Latency | undefined>
  bytewise: boolean | { delayMs: number }
  stats: Record<Direction, LaneStats>
  frameListener: ((direction: Direction, opcode: number, payload: Buffer) => void) | undefined
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort
  let accepted = 0
  const state: ProxyState = {
    latency: { up: undefined, down: undefined },
    bytewise: false,
    stats: { up: { bytes: 0, writes: 0, frames: 0 }, down: { bytes: 0, writes: 0, frames: 0 } },
    frameListener: undefined,
  }
  const nextCuts: Armed[] = []
  const pairs = new Set<Pair>()
  const server = net.createServer((client) => {
    accepted++
    const upstream = net.connect(target, '127.0.0.1')
    const pair = { client, upstream, holes: false, cutting: false } as Pair
    pair.lanes = { up: new Lane('up', pair, upstream, state), down: new Lane('down', pair, client, state) }
    pairs.add(pair)
    const armed = nextCuts.shift()
    if (armed) pair.lanes[armed.plan.direction].armed = armed
    client.on('data', (chunk: Buffer) => pair.lanes.up.push(chunk))
    upstream.on('data', (chunk: Buffer) => pair.lanes.down.push(chunk))
    const end = (socket: net.Socket) => {
      // A blackholed link passes nothing on, not even a close: each end finds out by itself.
      if (pair.holes) {
        socket.destroy()
        if (client.destroyed && upstream.destroyed) pairs.delete(pair)
        return
      }
      pairs.delete(pair)
      for (const lane of Object.values(pair.lanes)) clearTimeout(lane.timer)
      client.destroy()
      upstream.destroy()
    }
    for (const socket of [client, upstream]) {
      socket.on('error', () => end(socket))
      socket.on('close', () => end(socket))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return accepted
    },
    get open() {
      return pairs.size
    },
    stats: state.stats,
    blackhole() {
      for (const pair of pairs) pair.holes = true
    },
    resetAll() {
      for (const pair of [...pairs]) {
        pair.client.resetAndDestroy()
        pair.upstream.resetAndDestroy()
      }
    },
    retarget(port) {
      target = port
    },
    latency(up, down = up) {
      state.latency = { up, down }
    },
    byteAtATime(on) {
      state.bytewise = on
    },
    cutNext(plan) {
      return new Promise<Cut>((resolve) => nextCuts.push({ plan, resolve, from: 0 }))
    },
    cutOpen(plan) {
      const open = [...pairs].filter((pair) => !pair.holes && !pair.cutting)
      const pair = open[open.length - 1]
      if (!pair) return Promise.reject(new Error('cutOpen: no connection is open.'))
      return new Promise<Cut>((resolve) => {
        const lane = pair.lanes[plan.direction]
        lane.armed = { plan, resolve, from: lane.scanner.offset }
      })
    },
    onFrame(listener) {
      state.frameListener = listener
    },
    async close() {
      for (const pair of [...pairs]) {
        for (const lane of Object.values(pair.lanes)) clearTimeout(lane.timer)
        pair.client.destroy()
        pair.upstream.destroy()
      }
      pairs.clear()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
