// One subscriber of the kill tests (test/redis/kill.test.ts, test/reliability/restart.test.ts): a
// client of the `events` route, what its loop yielded, the `$/next` frames it got (with their
// event ids), the WebSockets it opened and lost, its reconnects and how long each took to resume.
import { connectionOf, defineClient, type ClientOptions, type ConnectionState } from 'wirerpc/client'
import * as api from './fixtures/api.js'
import { spyingWebSocket, type Link, type NextFrame } from './support-kill-spy.js'

export interface Subscriber {
  client: ReturnType<typeof defineClient<typeof api>>
  values: number[]
  frames: NextFrame[]
  /** The WebSockets that opened, in order, as the sockets saw them: each closed one is a loss. */
  links: Link[]
  /** `open` → `reconnecting` transitions: the reconnects the client counted. */
  reconnects: number
  /** When the connection was last lost, while no `$/next` has arrived since. */
  lostAt: number | undefined
  /** For each loss: the time it was lost and the time of the first `$/next` after it. */
  resumed: { lostAt: number; at: number }[]
  error: unknown
  /** Ends the subscription at the end of the test (one per subscriber: a shared signal would collect 100 listeners). */
  abort: AbortController
  loop: Promise<void>
}

/** Starts a subscriber on `topic` through the server(s) at `prefixUrl`. */
export function startSubscriber(prefixUrl: string, topic: string, options: Omit<ClientOptions, 'errorMode'> = {}): Subscriber {
  const subscriber = { values: [], frames: [], links: [], reconnects: 0, lostAt: undefined, resumed: [], error: undefined, abort: new AbortController() } as unknown as Subscriber
  subscriber.client = defineClient(api, {
    ...options,
    prefixUrl,
    WebSocket: spyingWebSocket(
      (frame) => {
        subscriber.frames.push(frame)
        if (subscriber.lostAt !== undefined) {
          subscriber.resumed.push({ lostAt: subscriber.lostAt, at: Date.now() })
          subscriber.lostAt = undefined
        }
      },
      (link) => void subscriber.links.push(link),
    ),
  })
  connectionOf(subscriber.client).onStateChange((state: ConnectionState, previous: ConnectionState) => {
    if (state === 'reconnecting' && previous === 'open') {
      subscriber.reconnects++
      subscriber.lostAt ??= Date.now()
    }
  })
  subscriber.loop = (async () => {
    try {
      for await (const event of subscriber.client.events(topic, { signal: subscriber.abort.signal })) subscriber.values.push(event.n)
    } catch (error) {
      if (!subscriber.abort.signal.aborted) subscriber.error = error
    }
  })()
  return subscriber
}

/** The WebSocket open now (as the socket sees it), if any. */
export function openLink(subscriber: Subscriber): Link | undefined {
  const link = subscriber.links.at(-1)
  return link?.closedAt === undefined ? link : undefined
}

/** Ends every subscriber and waits for their loops. */
export async function stopSubscribers(subscribers: readonly Subscriber[]): Promise<void> {
  for (const subscriber of subscribers) {
    subscriber.abort.abort()
    connectionOf(subscriber.client).close()
  }
  await Promise.all(subscribers.map(async (subscriber) => subscriber.loop))
}
