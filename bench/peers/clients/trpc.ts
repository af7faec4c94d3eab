/** The tRPC 11 client: `createTRPCClient` over `wsLink`, one `createWSClient` (one connection) per client. */
import { createTRPCClient, createWSClient, wsLink, type TRPCClient } from '@trpc/client'
import { WebSocket } from 'ws'
import { type FanMessage, type PeerClient, type PeerClientModule } from '../protocol.js'
import type { AppRouter } from '../servers/trpc.js'

interface TrpcPeerClient extends PeerClient {
  readonly client: TRPCClient<AppRouter>
}

function open(url: string, onOpen?: () => void, onClose?: () => void) {
  const wsClient = createWSClient({
    url: url.replace(/^http/, 'ws'),
    // Node 20 has no global WebSocket.
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    ...(onOpen ? { onOpen } : {}),
    ...(onClose ? { onClose } : {}),
  })
  return { wsClient, client: createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] }) }
}

export const connect: PeerClientModule['connect'] = async (url) => {
  const { wsClient, client } = open(url)
  const peer: TrpcPeerClient = {
    client,
    echo: (value) => client.echo.query(value),
    stream: (count, onItem) =>
      new Promise((resolve, reject) => {
        const subscription = client.ticks.subscribe(count, {
          onData: onItem,
          onError: reject,
          onComplete: () => resolve(),
        })
        void subscription
      }),
    close: () => wsClient.close(),
  }
  return peer
}

export const subscribe: PeerClientModule['subscribe'] = async (url, onMessage, onError) => {
  let closing = false
  let started!: () => void
  const ready = new Promise<void>((resolve) => (started = resolve))
  const { wsClient, client } = open(url, undefined, () => closing || onError(new Error('trpc: subscriber disconnected.')))
  const subscription = client.events.subscribe(undefined, {
    onStarted: () => started(),
    onData: (message: FanMessage) => onMessage(message),
    onError,
  })
  await ready
  return {
    async close() {
      closing = true
      subscription.unsubscribe()
      await wsClient.close()
    },
  }
}

export const publish: PeerClientModule['publish'] = async (peer, round, count) => {
  const answer = await (peer as TrpcPeerClient).client.publish.mutate({ round, count })
  if (answer !== count) throw new Error(`trpc: published ${answer}, expected ${count}.`)
}
