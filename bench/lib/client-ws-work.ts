/**
 * The application work the three servers of the end-to-end WebSocket client benchmark share
 * (`bench/servers/wirerpc-client-ws.ts`, `trpc-ws.ts`, `socketio-ws.ts`), so that they differ only
 * in their framework: an echo request with a validated object, and a finite stream of ticks.
 */

export interface Echo {
  a: number
  b: string
}

export interface Tick {
  seq: number
  v: string
}

/** The value every echo call sends (and gets back). */
export const ECHO_VALUE: Echo = { a: 1, b: 'hello' }

/** An echo value every server must refuse (`a` is a string). */
export const INVALID_ECHO: unknown = { a: '1', b: 'hello' }

/**
 * The hand-written check tRPC and Socket.IO run on the echo value: what the JSON schema of
 * wirerpc's manifest says (`{ a: number, b: string }`, no other keys). Throws when it fails.
 */
export function parseEcho(value: unknown): Echo {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('Expected an object.')
  const { a, b } = value as Record<string, unknown>
  if (typeof a !== 'number' || typeof b !== 'string' || Object.keys(value).length !== 2) throw new TypeError('Expected { a: number, b: string }.')
  return { a, b }
}

/** The check of the tick count for tRPC and Socket.IO: a number, as wirerpc's schema says. */
export function parseCount(value: unknown): number {
  if (typeof value !== 'number') throw new TypeError('Expected a number.')
  return value
}

/** The echo route's work: the value itself. */
export async function echo(value: Echo): Promise<Echo> {
  return value
}

/** How many items the stream yields between two turns of the event loop. */
export const TICKS_PER_TURN = 64

/**
 * The stream route's work: `count` items `{ seq, v: 'tick' }`, as fast as the consumer pulls them.
 * Every `TICKS_PER_TURN` items it waits for one turn of the event loop (`setImmediate`), as a
 * source fed by I/O would (the same rule as `bench/lib/ws-work.ts`), so that every server gets to
 * read its socket and flush its writes while the stream runs.
 */
export async function* ticks(count: number): AsyncGenerator<Tick, void> {
  for (let seq = 0; seq < count; seq++) {
    if (seq % TICKS_PER_TURN === TICKS_PER_TURN - 1) await new Promise((resolve) => setImmediate(resolve))
    yield { seq, v: 'tick' }
  }
}
