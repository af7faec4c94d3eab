/**
 * The context a WebSocket handler receives (`WsContext`, docs/websocket.md "The context"): one per
 * call. A class rather than an object literal with getters and a spread: it is made for every call,
 * and its signal, `defer` and `connection` cost nothing until a handler reads them.
 *
 * @module
 */
import type { PubSub } from '../pubsub/pubsub.js'
import type { WsConnection } from './connection-handle.js'
import { NO_DEFINES } from './upgrade-middleware.js'

/** What the context needs of its call. */
export interface ContextCall {
  controller?: AbortController
  aborted: boolean
  /** Made by the first `defer`: most calls never defer. */
  defers?: (() => void | Promise<void>)[]
  readonly lastEventId?: string | undefined
}

/** Names the context defines itself: a middleware's property of the same name does not replace them. */
const OWN = new Set(['id', 'ip', 'headers', 'signal', 'defer', 'lastEventId', 'pubsub', 'connection'])

export class CallContext {
  readonly id: string
  readonly ip: string
  readonly lastEventId: string | undefined
  readonly pubsub: PubSub
  readonly #call: ContextCall
  readonly #upgrade: { request: Request }
  readonly #connection: () => WsConnection
  #defer: ((fn: () => void | Promise<void>) => void) | undefined

  constructor(call: ContextCall, id: string, upgrade: { request: Request; ip: string }, pubsub: PubSub, connection: () => WsConnection, defines: Record<string, unknown>) {
    if (defines !== NO_DEFINES) for (const key of Object.keys(defines)) if (!OWN.has(key)) (this as Record<string, unknown>)[key] = defines[key]
    this.id = id
    this.ip = upgrade.ip
    this.#upgrade = upgrade
    this.lastEventId = call.lastEventId
    this.pubsub = pubsub
    this.#call = call
    this.#connection = connection
  }

  /** The upgrade request's headers (its web `Request` is built on first use). */
  get headers(): Headers {
    return this.#upgrade.request.headers
  }

  /** Created when first read: most calls never read it. */
  get signal(): AbortSignal {
    const call = this.#call
    call.controller ??= new AbortController()
    if (call.aborted) call.controller.abort()
    return call.controller.signal
  }

  /** A function of its own (not a method), so that `const { defer } = ctx` works too. */
  get defer(): (fn: () => void | Promise<void>) => void {
    const call = this.#call
    return (this.#defer ??= (fn) => void (call.defers ??= []).push(fn))
  }

  get connection(): WsConnection {
    return this.#connection()
  }
}

/**
 * A handler's arguments: fixed params are padded to their declared count (`fixed`), so that the
 * context lands in the last position. The array is the call's own (parsed from its frame, or the
 * check's copy): it is extended in place.
 */
export function handlerArguments(fixed: number | undefined, params: unknown[], ctx: CallContext): unknown[] {
  // With a rest parameter there is no position after it: such handlers read the context as `this`.
  if (fixed === undefined) return params
  // Pushed, not `params.length = fixed`: setting an array's length is a slow path in V8.
  while (params.length < fixed) params.push(undefined)
  params.push(ctx)
  return params
}
