// What the page script (page.ts) exposes on `window.harness`, for the test to drive with
// `page.evaluate`. Types only: the test and the page share them, nothing runs from here.
import type { ConnectionState } from 'wirerpc/client'

/** One item of the example's `subscribeToUpdates` route. */
export interface Update {
  topic: string
  seq: number
  timestamp: number
}

/** An error as the page saw it, made serializable. */
export interface SeenError {
  name: string
  message: string
  /** `error instanceof WsRequestError` with the class from the bundled (built) client. */
  isWsRequestError: boolean
  code: unknown
  data: unknown
}

export interface StateChange {
  state: ConnectionState
  previous: ConnectionState
  /** `Date.now()` in the page when the change was seen. */
  at: number
}

/** Results of the seed calls, run in the page. */
export interface SeedResult {
  /** What `await client.logEvent(...)` resolved to. */
  logEvent: unknown
  userData: unknown
  /** The first two items of the subscription (the loop breaks after them). */
  updates: Update[]
  /** How `client.getUserData(5 as never)` settled; `undefined` if it resolved. */
  wrongCall: SeenError | undefined
  /** The HTTP route `getPost(1)`, called with the same client. */
  post: unknown
  state: ConnectionState
  pending: number
  changes: StateChange[]
  /** The page has the browser's own WebSocket and no Node `process`. */
  nativeWebSocket: boolean
  hasProcess: boolean
  userAgent: string
}

/** A subscription left running in the page, for the reconnect test. */
export interface LiveLog {
  items: Update[]
  changes: StateChange[]
  /** What the `for await` loop threw, if it did. */
  error: SeenError | undefined
  /** The loop is over (by `stopLive()`, or by an error). */
  ended: boolean
  state: ConnectionState
}

export interface PageApi {
  seed(): Promise<SeedResult>
  /** Starts a fresh client and a `subscribeToUpdates('user-events')` loop that records into `live`. */
  startLive(): void
  readonly live: LiveLog
  /** Ends the live subscription (`return()`), waits for its loop to finish, closes the connection. */
  stopLive(): Promise<void>
}

export interface PageWindow {
  harness: PageApi
}
