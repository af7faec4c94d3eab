/** The real wirerpc client: `defineClient` with a hand-written client manifest (what the generator would emit). */
import { connectionOf, defineClient, type Route } from 'wirerpc/client'
import type { Echo, Tick } from '../../lib/client-ws-work.js'
import { TOPIC, type FanMessage, type PeerClient, type PeerClientModule } from '../protocol.js'

type CallOptions = { signal?: AbortSignal; timeout?: number | false }
const api = {
  echo: { protocol: 'ws', pattern: 'r', name: 'echo', arity: 1 } as Route<(value: Echo, options?: CallOptions) => Promise<Echo>>,
  ticks: { protocol: 'ws', pattern: 's', name: 'ticks', arity: 1 } as Route<(count: number, options?: { signal?: AbortSignal }) => AsyncIterable<Tick>>,
  events: { protocol: 'ws', pattern: 's', name: 'events', arity: 1 } as Route<(topic: string, options?: { signal?: AbortSignal }) => AsyncIterable<FanMessage>>,
  publish: { protocol: 'ws', pattern: 'r', name: 'publish', arity: 2 } as Route<(round: number, count: number, options?: CallOptions) => Promise<number>>,
}
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
  void (async () => {
    for await (const message of client.events(TOPIC, { signal: controller.signal })) onMessage(message)
  })().catch((error: unknown) => controller.signal.aborted || onError(error))
  await opened(client, url)
  return {
    async close() {
      controller.abort()
      connectionOf(client).close()
    },
  }
}

export const publish: PeerClientModule['publish'] = async (peer, round, count) => {
  const answer = await (peer as WirerpcPeerClient).client.publish(round, count)
  if (answer !== count) throw new Error(`wirerpc: published ${answer}, expected ${count}.`)
}
