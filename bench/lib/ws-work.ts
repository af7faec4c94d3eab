/**
 * The application work both WebSocket benchmark servers share (`bench/servers/wirerpc-ws.ts`,
 * `bench/servers/raw-ws.ts`), and the wire format they both speak, so that they differ only in
 * how a message becomes a handler call and a result becomes a frame.
 */

export interface WsUser {
  id: string
  name: string
}

/** The request route's work: a small object built from the argument. */
export async function getUser(id: string): Promise<WsUser> {
  return { id, name: 'x' }
}

export interface Tick {
  topic: string
  seq: number
  at: number
}

/** How many items the subscription yields between two turns of the event loop. */
export const TICKS_PER_TURN = 64

/**
 * The subscription route's work: small JSON objects, as fast as the consumer pulls them. Every
 * `TICKS_PER_TURN` items it waits for one turn of the event loop (`setImmediate`), as a source
 * fed by I/O would: a generator that never leaves the microtask queue would keep the server from
 * reading the client's `$/cancel` (or anything else) until the socket's buffer fills.
 */
export async function* ticks(topic: string): AsyncGenerator<Tick, void> {
  for (let seq = 0; ; seq++) {
    if (seq % TICKS_PER_TURN === TICKS_PER_TURN - 1) await new Promise((resolve) => setImmediate(resolve))
    yield { topic, seq, at: 1_732_550_000_000 + seq }
  }
}

/** Method names on the wire, the same for both servers. */
export const METHOD = { getUser: 'getUser', ticks: 'ticks' } as const

/** The prefix every subscription item starts with, byte for byte (`{"jsonrpc":"2.0","method":"$/next",…`). */
export const NEXT_PREFIX = '{"jsonrpc":"2.0","method":"$/next","params":'
