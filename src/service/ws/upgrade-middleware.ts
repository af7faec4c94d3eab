/**
 * Route middleware on a WebSocket connection: each chain runs once per connection, against the
 * upgrade request, when the first call of one of its routes arrives; every later call of those
 * routes reuses its outcome (docs/websocket.md).
 *
 * @module
 */
import type { ErrorObject } from '../../protocol/ws.js'
import { createContext } from '../context.js'
import { runMiddleware, type Middleware } from '../middleware.js'
import type { WsUpgrade } from './peer.js'

/** A chain's outcome: what it added to the context, or the error every call of its routes gets. */
export type ChainResult = { ok: true; defines: Record<string, unknown> } | { ok: false; error: ErrorObject }

/** What no middleware defines (the call context skips copying it). */
export const NO_DEFINES: Record<string, unknown> = Object.freeze({})

/** The outcome of no middleware at all. */
const NO_MIDDLEWARE: ChainResult = { ok: true, defines: NO_DEFINES }

const NO_CHAIN: Promise<ChainResult> = Promise.resolve(NO_MIDDLEWARE)
const BASE_CONTEXT_KEYS = new Set(['request', 'url', 'ip', 'signal', 'response', 'onResponse'])

export class UpgradeMiddleware {
  readonly #results = new Map<readonly Middleware<any, any>[], Promise<ChainResult>>()
  /** The outcomes known already: calls of these routes run their handler without waiting for a promise. */
  readonly #settled = new Map<readonly Middleware<any, any>[], ChainResult>()

  /** @param toErrorObject how a thrown error is answered (and reported), for route `route` */
  constructor(
    private readonly upgrade: WsUpgrade,
    private readonly toErrorObject: (error: unknown, route: string) => ErrorObject,
  ) {}

  /** The outcome of `chain` on this connection if it is known already (no middleware: always). */
  settled(chain: readonly Middleware<any, any>[]): ChainResult | undefined {
    return chain.length === 0 ? NO_MIDDLEWARE : this.#settled.get(chain)
  }

  /** The outcome of `chain` on this connection, run now if it has not run yet (`route` is the first to need it). */
  of(chain: readonly Middleware<any, any>[], route: string): Promise<ChainResult> {
    if (chain.length === 0) return NO_CHAIN
    let result = this.#results.get(chain)
    if (!result) {
      result = this.#run(chain, route).then((outcome) => (this.#settled.set(chain, outcome), outcome))
      this.#results.set(chain, result)
    }
    return result
  }

  async #run(chain: readonly Middleware<any, any>[], route: string): Promise<ChainResult> {
    const { request, ip } = this.upgrade
    const { context } = createContext(request, new URL(request.url), ip)
    try {
      const response = await runMiddleware(chain, context)
      if (response) {
        const text = await response.text().catch(() => '')
        return { ok: false, error: { code: response.status, message: messageOf(text) || response.statusText || `HTTP ${response.status}` } }
      }
      const defines: Record<string, unknown> = {}
      for (const key of Object.keys(context)) if (!BASE_CONTEXT_KEYS.has(key)) defines[key] = (context as unknown as Record<string, unknown>)[key]
      return { ok: true, defines }
    } catch (error) {
      return { ok: false, error: this.toErrorObject(error, route) }
    }
  }
}

/** The `message` of a JSON error body, or the text itself. */
function messageOf(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown }
    return typeof body.message === 'string' ? body.message : text
  } catch {
    return text
  }
}
