/**
 * What a client says about a subscription besides calling it (docs/protocol.md): `$/credit`
 * (flow control) and `$/resume` (where to resume from), both sent before the request and held per
 * id until it arrives; and the `$/next` message that carries an item, its event id and its drops.
 *
 * @module
 */
import { WsMethod, type RequestId } from '../../protocol/ws.js'
import { isTracked } from '../pubsub/pubsub.js'

/** Flow control of one subscription. */
export interface Flow {
  /** Items the client still accepts. */
  credit: number
  /** Drop items rather than pause when out of credit or over the high-water mark. */
  readonly lossy: boolean
  /** Items dropped since the last one sent. */
  dropped: number
  /** Wakes the paused stream when credit arrives or the call stops. */
  wake?: (() => void) | undefined
}

/** What `$/credit` and `$/resume` said about a request that had not arrived yet. */
export interface Early {
  credit?: number
  lossy?: boolean
  lastEventId?: string
}

/** Longest `lastEventId` accepted, in characters (stream ids are about 20). */
const MAX_EVENT_ID = 200

/** Credit and resume points for requests to come, at most `limit` ids; the oldest goes first. */
export class EarlyMessages {
  readonly #held = new Map<RequestId, Early>()

  constructor(private readonly limit: number) {}

  /** What was held for request `id`, now handed over. */
  take(id: RequestId | undefined): Early | undefined {
    if (id === undefined || this.#held.size === 0) return undefined
    const early = this.#held.get(id)
    if (early) this.#held.delete(id)
    return early
  }

  /** `$/credit`: more credit for a flow-controlled call in flight, or held for a request to come. */
  credit(params: unknown, inFlight: (id: RequestId) => { flow?: Flow } | undefined): void {
    const { id, credit, lossy } = asObject(params) as { id?: unknown; credit?: unknown; lossy?: unknown }
    if (!isId(id) || !Number.isSafeInteger(credit) || (credit as number) < 0) return
    const call = inFlight(id)
    if (call) {
      // A request, or a subscription that started without flow control, ignores credit.
      if (!call.flow) return
      call.flow.credit = Math.min(Number.MAX_SAFE_INTEGER, call.flow.credit + (credit as number))
      call.flow.wake?.()
      return
    }
    const held = this.#for(id)
    if (held.credit === undefined) held.lossy = lossy === true
    held.credit = Math.min(Number.MAX_SAFE_INTEGER, (held.credit ?? 0) + (credit as number))
  }

  /** `$/resume`: the last event id of a subscription about to be sent again. */
  resume(params: unknown, inFlight: (id: RequestId) => boolean): void {
    const { id, lastEventId } = asObject(params) as { id?: unknown; lastEventId?: unknown }
    if (!isId(id) || typeof lastEventId !== 'string' || lastEventId.length > MAX_EVENT_ID || inFlight(id)) return
    this.#for(id).lastEventId = lastEventId
  }

  #for(id: RequestId): Early {
    let held = this.#held.get(id)
    if (!held) {
      if (this.#held.size >= this.limit) this.#held.delete(this.#held.keys().next().value!)
      this.#held.set(id, (held = {}))
    }
    return held
  }
}

/** The flow control a subscription starts with: none unless credit came before its request. */
export function flowOf(early: Early | undefined): Flow | undefined {
  return early?.credit === undefined ? undefined : { credit: early.credit, lossy: early.lossy === true, dropped: 0 }
}

/** A `$/next` message: a tracked item carries its event id; a lossy one what was dropped before it. */
/**
 * The text of a `$/next` message, built as text (one of these per item): `undefined` when the item
 * cannot be sent as JSON (`error` is called with why).
 */
export function nextText(id: RequestId, item: unknown, dropped: number, error: (cause: unknown) => void): string | undefined {
  const tracked = isTracked(item)
  let value: string | undefined
  try {
    value = JSON.stringify(tracked ? item.value : item)
  } catch (cause) {
    error(cause)
    return undefined
  }
  // As JSON.stringify of the object would: an `undefined` value leaves the key out.
  const valuePart = value === undefined ? '' : `,"value":${value}`
  const eventPart = tracked ? `,"eventId":${JSON.stringify(item.id)}` : ''
  const droppedPart = dropped > 0 ? `,"dropped":${dropped}` : ''
  return `{"jsonrpc":"2.0","method":"${WsMethod.Next}","params":{"id":${JSON.stringify(id)}${valuePart}${eventPart}${droppedPart}}}`
}

function asObject(value: unknown): object {
  return typeof value === 'object' && value !== null ? value : {}
}

function isId(value: unknown): value is RequestId {
  return typeof value === 'string' || typeof value === 'number'
}
