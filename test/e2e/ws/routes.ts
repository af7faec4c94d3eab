// WebSocket route modules for the engine tests, as users write them.
import { ConflictError, pushEvent, route, tracked, UnauthorizedError, type t, type WsConnection, type WsContext } from 'wirerpc/service'

export interface UserData {
  id: string
  name: string
}

export const events: { event: string; data: unknown }[] = []
export const state = { finallyRan: 0, aborted: 0, deferred: 0 }

export const logEvent = route.ws(async (event: string, data: any) => {
  events.push({ event, data })
})

export const getUserData = route.ws(async (userId: string): Promise<UserData> => ({ id: userId, name: `user ${userId}` }))

export const subscribeToUpdates = route.ws(async function* (topic: string, count?: number) {
  try {
    for (let i = 0; i < (count ?? Infinity); i++) {
      yield { timestamp: i, data: `${topic} ${i}` }
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    return 'done'
  } finally {
    state.finallyRan++
  }
})

export const slow = route.ws(async (ms: number, ctx: WsContext) => {
  ctx.defer(() => void state.deferred++)
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(timer)
      state.aborted++
      resolve()
    })
  })
  return ms
})

/** Ignores cancellation: settles after `ms` whatever happens. */
export const hang = route.ws(async (ms: number & t.Minimum<0> & t.Maximum<60_000>) => {
  await new Promise((resolve) => setTimeout(resolve, ms))
  return ms
})

/** A string of `size` characters, after `ms`: large answers that leave together. */
export const sized = route.ws(async (size: number & t.Minimum<0> & t.Maximum<1_000_000>, ms: number & t.Minimum<0> & t.Maximum<10_000>) => {
  await new Promise((resolve) => setTimeout(resolve, ms))
  return 'x'.repeat(size)
})

/** Yields forever without awaiting: only flow control, the event loop's fair turns or a cancel stop it. */
export const spin = route.ws(async function* (ctx: WsContext) {
  for (let i = 0; !ctx.signal.aborted; i++) yield i
})

export const fail = route.ws(async (kind: string) => {
  if (kind === 'http') throw new ConflictError({ message: 'taken', data: { field: 'name' } })
  if (kind === 'string') throw 'plain string'
  if (kind === 'reject') return Promise.reject(new Error('rejected'))
  throw new Error('boom')
})

/** Yields `count` numbers without waiting between them: all in one tick. */
export const burst = route.ws(async function* (count: Count) {
  for (let i = 0; i < count; i++) yield i
  return 'burst done'
})

export const failingStream = route.ws(async function* () {
  yield 1
  throw new ConflictError('stream conflict')
})

export const whoami = route.ws(async (ctx: WsContext) => ({ connection: ctx.id, ip: ctx.ip, agent: ctx.headers.get('user-agent') }))

export const optional = route.ws(async (a: string, b?: number, ctx?: WsContext) => ({ a, b: b ?? null, hasContext: typeof ctx?.signal === 'object' }))

export const big = route.ws(async function* (size: number) {
  try {
    for (let i = 0; ; i++) yield 'x'.repeat(size)
  } finally {
    state.finallyRan++
  }
})

export const pulls = { count: 0 }
export const counted = route.ws(async function* () {
  for (;;) {
    pulls.count++
    yield 'y'.repeat(64 * 1024)
  }
})

const authed = route.use(async (ctx) => {
  const token = ctx.request.headers.get('authorization')
  if (token !== 'Bearer good') throw new UnauthorizedError('Send "authorization: Bearer good" with the upgrade.')
  return { define: { user: 'ada', chainRuns: ++chainRuns.count } }
})
export const chainRuns = { count: 0 }

export const me = authed.ws(async (ctx: WsContext & { user: string; chainRuns: number }) => ({ user: ctx.user, chainRuns: ctx.chainRuns }))

// --- limits, backpressure, shutdown and fuzz tests ---
/** Generators of `waitForCancel` running now, and how many finished (their `finally` ran). */
export const held = { open: 0, finished: 0 }
/** A subscription that yields `'ready'` once, then stays open until it is cancelled or the connection closes. */
export const waitForCancel = route.ws(async function* (ctx: WsContext) {
  held.open++
  try {
    yield 'ready'
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve()
      ctx.signal.addEventListener('abort', () => resolve(), { once: true })
    })
  } finally {
    held.open--
    held.finished++
  }
})

export const unserializable = route.ws(async () => ({ big: BigInt(1) }))

// --- resumable subscriptions ---
/** Events of a topic from the server's PubSub, tracked so that clients resume after a reconnect. */
export const topicEvents = route.ws(async function* (topic: string, ctx: WsContext) {
  for await (const event of ctx.pubsub.subscribe<{ n: number }>(topic, { signal: ctx.signal, lastEventId: ctx.lastEventId })) {
    yield tracked(event.id, event.value)
  }
})

/** Publishes `{ n }` on a topic; resolves with the event id. */
export const publish = route.ws(async (topic: string, n: number, ctx: WsContext) => ctx.pubsub.publish(topic, { n }))

/** What the handler saw as ctx.lastEventId (for the protocol tests). */
export const resumedFrom = route.ws(async function* (ctx: WsContext) {
  yield ctx.lastEventId ?? null
})

// --- server push ---
/** A push event: server → client, outside any call. */
export const notice = pushEvent<{ text: string; n: number }>('notice')

/** Connections that called `remember`, for tests that push to them from outside any call. */
export const remembered: WsConnection[] = []

// Bounded, so that the fuzz test's random numbers cannot make them run for long.
type Count = number & t.Minimum<0> & t.Maximum<2000>

/** Keeps the caller's connection; pushes `count` notices to it `delayMs` after answering. */
export const remember = route.ws(async (count: Count, delayMs: number & t.Minimum<0> & t.Maximum<1000>, ctx: WsContext) => {
  const connection = ctx.connection
  remembered.push(connection)
  setTimeout(() => {
    for (let n = 0; n < count; n++) connection.push(notice, { text: 'later', n })
  }, delayMs)
  return connection.id
})

/** Joins `room` for as long as the subscription runs (so a reconnect, which resubscribes, joins again). */
export const joinRoom = route.ws(async function* (room: string, ctx: WsContext) {
  ctx.defer(ctx.connection.join(room))
  yield 'joined'
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve()
    ctx.signal.addEventListener('abort', () => resolve(), { once: true })
  })
})

/** Broadcasts a notice to every connection in `room`, on every instance sharing the PubSub. */
export const broadcast = route.ws(async (room: string, text: string, n: number, ctx: WsContext) => notice.publish(ctx.pubsub, room, { text, n }))

/** Pushes `count` notices of `size` characters at once; answers how many were sent (the rest were dropped). */
export const pushMany = route.ws(async (count: Count, size: number & t.Minimum<0> & t.Maximum<20_000>, ctx: WsContext) => {
  let sent = 0
  for (let n = 0; n < count; n++) if (ctx.connection.push(notice, { text: 'x'.repeat(size), n })) sent++
  return sent
})
