// A WebSocket constructor for the client (its `WebSocket` option) that is `ws`'s, plus a listener
// on every text message: the kill test reads the `eventId` of each `$/next` frame this way, since
// the subscription's iterator yields only the values.
import { WebSocket as NodeWebSocket } from 'ws'
import type { WebSocketConstructor } from 'wirerpc/client'

export interface NextFrame {
  /** The subscription's id on the connection. */
  id: number
  value: unknown
  eventId: string | undefined
}

/** A WebSocket class that calls `onNext` for each `$/next` message received, before the client sees it. */
export function spyingWebSocket(onNext: (frame: NextFrame) => void): WebSocketConstructor {
  const read = (item: unknown) => {
    const message = item as { method?: unknown; params?: { id?: unknown; value?: unknown; eventId?: unknown } }
    if (message?.method !== '$/next' || typeof message.params?.id !== 'number') return
    onNext({ id: message.params.id, value: message.params.value, eventId: typeof message.params.eventId === 'string' ? message.params.eventId : undefined })
  }
  class SpyingWebSocket extends NodeWebSocket {
    constructor(url: string, protocols?: string | string[] | object) {
      super(url, protocols as string[])
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
