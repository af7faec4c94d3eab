/**
 * What the end-to-end client benchmark (`bench/client-ws.ts`) needs from each stack's client:
 * one connection, an echo call, and a stream consumed item by item with its count and order
 * checked. Each stack implements it in its own module (`client-ws-wirerpc.ts`, `client-ws-trpc.ts`,
 * `client-ws-socketio.ts`), loaded only when the benchmark runs.
 */
import type { Echo, Tick } from './client-ws-work.js'

export interface StackClient {
  /** Resolves with the server's answer; rejects when the server refuses the value. */
  echo(value: Echo): Promise<Echo>
  /** Asks for `count` ticks and consumes them; resolves once the stream has ended, all checked. */
  stream(count: number): Promise<void>
  /** Closes the connection. */
  close(): Promise<void>
}

/** Opens one connection to the server at `url` (`http://127.0.0.1:<port>/`). */
export type Connect = (url: string) => Promise<StackClient>

/**
 * Checks a stream item by item: `{ seq, v: 'tick' }` with `seq` 0, 1, 2, …, and then the count.
 * Every stack's consumer runs it, on every item.
 */
export class TickChecker {
  private next = 0

  constructor(private readonly expected: number) {}

  item(item: Tick): void {
    if (item.seq !== this.next || item.v !== 'tick') throw new Error(`stream: item ${this.next} is ${JSON.stringify(item)}.`)
    this.next++
  }

  end(): void {
    if (this.next !== this.expected) throw new Error(`stream: ${this.next} items, expected ${this.expected}.`)
  }
}

/** Checks an echo answer (cheaply: every call runs it). */
export function checkEcho(answer: Echo, sent: Echo): Echo {
  if (answer?.a !== sent.a || answer.b !== sent.b) throw new Error(`echo: unexpected answer ${JSON.stringify(answer)}.`)
  return answer
}
