// Routes the reliability fixtures add to the WebSocket test routes (test/e2e/ws/routes.ts): a
// producer that yields as fast as it can, and the server's own figures (memory, event-loop delay,
// connections, bytes buffered per connection), read over the same WebSocket as everything else.
import { route, type WsContext } from 'wirerpc/service'

/** What the fixture server measures; filled in by ./server.ts (the same module instance). */
export const figures = {
  /** Yields of `flood` generators, and how many run now. */
  floodYields: 0,
  floodOpen: 0,
  /** Filled in by server.ts. */
  read: (() => ({})) as (reset: boolean) => Record<string, unknown>,
}

/** Yields `size`-character strings as fast as it is pulled, forever. */
export const flood = route.ws(async function* (size: number, ctx: WsContext) {
  const item = 'x'.repeat(size)
  figures.floodOpen++
  try {
    while (!ctx.signal.aborted) {
      figures.floodYields++
      yield item
    }
  } finally {
    figures.floodOpen--
  }
})

/** The server's figures; `reset` starts the peaks (RSS, event-loop delay, buffered bytes) over. */
export const serverStats = route.ws(async (reset?: boolean) => figures.read(reset === true))
