/** The rpc-websockets 10 `Client`: calls with `call`, streams as events it subscribed to (`subscribe`, i.e. `rpc.on`). */
import { Client } from 'rpc-websockets'
import type { Echo, Tick } from '../../lib/client-ws-work.js'
import { TOPIC, type FanMessage, type PeerClient, type PeerClientModule } from '../protocol.js'

interface RpcWsPeerClient extends PeerClient {
  readonly client: Client
}

async function open(url: string): Promise<Client> {
  const client = new Client(`${url.replace(/^http/, 'ws')}`, { reconnect: false, autoconnect: true })
  await new Promise<void>((resolve, reject) => {
    client.once('open', resolve)
    client.once('error', (error: unknown) => reject(new Error(`rpc-websockets: cannot connect to ${url}: ${String(error)}`)))
  })
  return client
}

export const connect: PeerClientModule['connect'] = async (url) => {
  const client = await open(url)
  await client.subscribe('tick')
  const peer: RpcWsPeerClient = {
    client,
    // No timeout argument: rpc-websockets then starts no timer per call.
    echo: async (value) => (await client.call('echo', value as unknown as Record<string, unknown>)) as Echo,
    async stream(count, onItem: (item: Tick) => void) {
      client.on('tick', onItem)
      try {
        const sent = await client.call('ticks', [count])
        if (sent !== count) throw new Error(`rpc-websockets: sent ${String(sent)} ticks, expected ${count}.`)
      } finally {
        client.off('tick', onItem)
      }
    },
    close: async () => client.close(),
  }
  return peer
}

export const subscribe: PeerClientModule['subscribe'] = async (url, onMessage, onError) => {
  const client = await open(url)
  let closing = false
  client.on(TOPIC, (message: FanMessage) => onMessage(message))
  client.on('close', () => closing || onError(new Error('rpc-websockets: subscriber disconnected.')))
  await client.subscribe(TOPIC)
  return { close: async () => void ((closing = true), client.close()) }
}

export const publish: PeerClientModule['publish'] = async (peer, round, count) => {
  const answer = await (peer as RpcWsPeerClient).client.call('publish', [round, count])
  if (answer !== count) throw new Error(`rpc-websockets: published ${String(answer)}, expected ${count}.`)
}
