/**
 * The client of `bare` and `bare-coalesced`: a `ws` WebSocket with a map of pending ids; stream
 * items arrive as `$/next` notifications of the request id, the stream ends with its answer.
 */
import { once } from 'node:events'
import { WebSocket } from 'ws'
import type { Echo, Tick } from '../../lib/client-ws-work.js'
import { TOPIC, type FanMessage, type PeerClient, type PeerClientModule } from '../protocol.js'

interface Pending {
  resolve(result: unknown): void
  reject(error: Error): void
  onItem?: (item: Tick) => void
}

class BareClient implements PeerClient {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  onNotification: (method: string, params: unknown) => void = () => {}

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; method?: string; params?: { id?: number; value?: Tick }; result?: unknown; error?: { message: string } }
      if (message.method === '$/next') return this.pending.get(message.params!.id!)?.onItem?.(message.params!.value!)
      if (message.method !== undefined) return this.onNotification(message.method, message.params)
      const call = this.pending.get(message.id!)
      if (!call) return
      this.pending.delete(message.id!)
      if (message.error) call.reject(new Error(`bare: ${message.error.message}`))
      else call.resolve(message.result)
    })
    ws.on('close', () => {
      for (const call of this.pending.values()) call.reject(new Error('bare: connection closed.'))
      this.pending.clear()
    })
  }

  call(method: string, params: unknown[], onItem?: (item: Tick) => void): Promise<unknown> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onItem ? { onItem } : {}) })
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  echo(value: Echo): Promise<Echo> {
    return this.call('echo', [value]) as Promise<Echo>
  }

  async stream(count: number, onItem: (item: Tick) => void): Promise<void> {
    await this.call('ticks', [count], onItem)
  }

  async close(): Promise<void> {
    this.ws.close()
  }
}

async function open(url: string): Promise<BareClient> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}ws`, { perMessageDeflate: false })
  await once(ws, 'open')
  return new BareClient(ws)
}

export const connect: PeerClientModule['connect'] = open

export const subscribe: PeerClientModule['subscribe'] = async (url, onMessage, onError) => {
  const client = await open(url)
  let closing = false
  client.onNotification = (method, params) => method === 'e' && onMessage(params as FanMessage)
  client.ws.on('close', () => closing || onError(new Error('bare: subscriber disconnected.')))
  await client.call('subscribe', [TOPIC])
  return { close: async () => ((closing = true), client.ws.close()) }
}

export const publish: PeerClientModule['publish'] = async (client, round, count) => {
  const answer = await (client as BareClient).call('publish', [round, count])
  if (answer !== count) throw new Error(`bare: published ${String(answer)}, expected ${count}.`)
}
