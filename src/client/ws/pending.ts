/**
 * What the connection manager (`connection.ts`) tracks: its state, and the calls and
 * notifications waiting on it. Types only, shared with the call functions (`calls.ts`) and the
 * subscription iterator.
 *
 * @module
 */

/**
 * - `idle`: no socket; the next call opens one;
 * - `connecting`: opening the first socket (or the first after an idle close);
 * - `open`: calls flow;
 * - `reconnecting`: the socket dropped with calls or subscriptions open; waiting or reopening;
 * - `closed`: `close()` was called, the server refused us for good, or reconnecting gave up. The
 *   next call starts over.
 */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'

export type StateListener = (state: ConnectionState, previous: ConnectionState) => void

/** A request or subscription, tracked from the call to its terminal response. */
export interface PendingCall {
  readonly id: number
  readonly method: string
  /** The serialized request, kept to send it again after a reconnect. */
  readonly text: string
  readonly subscription: boolean
  readonly idempotent: boolean
  readonly retryLimit: number
  /** Written on the current socket. */
  sent: boolean
  /** Failed connection attempts and drops this call has already waited through. */
  retries: number
  /** A subscription that reached the server once; it is resent after every reconnect. */
  established: boolean
  /** Messages sent right before the request, each time it is sent (a subscription's `$/credit` and `$/resume`). */
  preamble?: () => string[]
  /** A `$/next` item; `dropped` counts the items a lossy subscription lost before it; `eventId` tracks it. */
  next(value: unknown, dropped: number, eventId: string | undefined): void
  settle(error: Error | undefined, result?: unknown): void
}

/** A notification waiting for the connection; it resolves once written. */
export interface PendingNotification {
  readonly method: string
  readonly text: string
  readonly retryLimit: number
  retries: number
  written(): void
  fail(error: Error): void
}
