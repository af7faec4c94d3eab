/** The real wirerpc client: `defineClient` with a hand-written client manifest (what the generator would emit). */
import { connectionOf, defineClient, type PushSource, type Route } from 'wirerpc/client'
import type { Echo, Tick } from '../../lib/client-ws-work.js'
import { TOPIC, type FanMessage, type PeerClient, type PeerClientModule } from '../protocol.js'

type CallOptions = { signal?: AbortSignal; timeout?: number | false }
const api = {
  echo: { protocol: 'ws', pattern: 'r', name: 'echo', arity: 1 } as Route<(value: Echo, options?: CallOptions) => Promise<Echo>>,
  ticks: { protocol: 'ws', pattern: 's', name: 'ticks', arity: 1 } as Route<(count: number, options?: { signal?: AbortSignal }) => AsyncIterable<Tick>>,
  events: { protocol: 'ws', pattern: 's', name: 'events', arity: 1 } as Route<(topic: string, options?: { signal?: AbortSignal }) => AsyncIterable<FanMessage>>,
  publish: { protocol: 'ws', pattern: 'r', name: 'publish', arity: 2 } as Route<(round: number, count: number, options?: CallOptions) => Promise<number>>,
  news: { protocol: 'push', name: 'news' } as Route<PushSource<FanMessage>>,
  follow: { protocol: 'ws', pattern: 's', name: 'follow', arity: 1 } as Route<(topic: string, options?: { signal?: AbortSignal }) => AsyncIterable<string>>,
  broadcast: { protocol: 'ws', pattern: 'r', name: 'broadcast', arity: 2 } as Route<(round: number, count: number, options?: CallOptions) => Promise<number>>,
}

/** Fan-out through server push (default) or through a subscription per subscriber (BENCH_WIRERPC_FANOUT=subscription). */
const BY_SUBSCRIPTION = process.env['BENCH_WIRERPC_FANOUT'] === 'subscription'
type Api = ReturnType<typeof defineClient<typeof api>>

interface WirerpcPeerClient extends PeerClient {
  readonly client: Api
}

/** One client is one connection; it opens on the first call. No per-call timeout (no timer per call). */
function open(url: string): Api {
  return defineClient(api, { prefixUrl: url, timeout: false })
}

async function opened(client: Api, url: string): Promise<void> {
  const connection = connectionOf(client)
  if (connection.state === 'open') return
  await new Promise<void>((resolve, reject) => {
    const off = connection.onStateChange((state) => {
      if (state === 'open') resolve()
      else if (state === 'closed' || state === 'reconnecting') reject(new Error(`wirerpc: cannot connect to ${url} (${state}).`))
      else return
      off()
    })
  })
}

export const connect: PeerClientModule['connect'] = async (url) => {
  const client = open(url)
  const peer: WirerpcPeerClient = {
    client,
    echo: (value) => client.echo(value),
    async stream(count, onItem) {
      for await (const item of client.ticks(count)) onItem(item)
    },
    async close() {
      connectionOf(client).close()
    },
  }
  return peer
}

export const subscribe: PeerClientModule['subscribe'] = async (url, onMessage, onError) => {
  const client = open(url)
  const controller = new AbortController()
  if (BY_SUBSCRIPTION) {
    void (async () => {
      for await (const message of client.events(TOPIC, { signal: controller.signal })) onMessage(message)
    })().catch((error: unknown) => controller.signal.aborted || onError(error))
    await opened(client, url)
  } else {
    client.news.on(onMessage)
    const joined = client.follow(TOPIC, { signal: controller.signal })[Symbol.asyncIterator]()
    await joined.next() // the server has joined this connection to the topic
    void joined.next().catch((error: unknown) => controller.signal.aborted || onError(error))
  }
  return {
    async close() {
      controller.abort()
      connectionOf(client).close()
    },
  }
}

export const publish: PeerClientModule['publish'] = async (peer, round, count) => {
  const { client } = peer as WirerpcPeerClient
  const answer = await (BY_SUBSCRIPTION ? client.publish(round, count) : client.broadcast(round, count))
  if (answer !== count) throw new Error(`wirerpc: published ${answer}, expected ${count}.`)
}
