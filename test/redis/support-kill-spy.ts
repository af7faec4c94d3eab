// A WebSocket constructor for the client (its `WebSocket` option) that is `ws`'s, plus a listener
// on every text message: the kill test reads the `eventId` of each `$/next` frame this way, since
// the subscription's iterator yields only the values. It also reports each socket that opens and
// when it closes, as the socket saw it: what the client counted is checked against that.
import { WebSocket as NodeWebSocket } from 'ws'
import type { WebSocketConstructor } from 'wirerpc/client'

export interface NextFrame {
  /** The subscription's id on the connection. */
  id: number
  value: unknown
  eventId: string | undefined
}

/** One WebSocket that opened: a connection the client had, and lost once `closedAt` is set. */
export interface Link {
  /** The local port of its TCP connection: a proxy in front tells the instance from it. */
  readonly localPort: number | undefined
  readonly openedAt: number
  closedAt: number | undefined
}

/**
 * A WebSocket class that calls `onNext` for each `$/next` message received and `onOpen` for each
 * socket that opens, before the client sees them.
 */
export function spyingWebSocket(onNext: (frame: NextFrame) => void, onOpen: (link: Link) => void = () => {}): WebSocketConstructor {
  const read = (item: unknown) => {
    const message = item as { method?: unknown; params?: { id?: unknown; value?: unknown; eventId?: unknown } }
    if (message?.method !== '$/next' || typeof message.params?.id !== 'number') return
    onNext({ id: message.params.id, value: message.params.value, eventId: typeof message.params.eventId === 'string' ? message.params.eventId : undefined })
  }
  class SpyingWebSocket extends NodeWebSocket {
    constructor(url: string, protocols?: string | string[] | object) {
      super(url, protocols as string[])
      // Only sockets that opened: a handshake that failed was no connection to lose.
      this.addEventListener('open', () => {
        const tcp = (this as unknown as { _socket?: { localPort?: number } })._socket
        const link: Link = { localPort: tcp?.localPort, openedAt: Date.now(), closedAt: undefined }
        this.addEventListener('close', () => void (link.closedAt = Date.now()))
        onOpen(link)
      })
      this.addEventListener('message', (event) => {
        if (typeof event.data !== 'string') return
        let parsed: unknown
        try {
          parsed = JSON.parse(event.data)
        } catch {
          return
        }
        if (Array.isArray(parsed)) for (const item of parsed) read(item)
        else read(parsed)
      })
    }
  }
  return SpyingWebSocket as unknown as WebSocketConstructor
}
