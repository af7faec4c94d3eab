/**
 * A WebSocket route of the manifest made ready to run: its params check compiled once, its
 * definition imported on first use.
 *
 * @module
 */
import type { ServerWsRoute } from '../../protocol/manifest.js'
import type { Middleware } from '../middleware.js'
import { compileCheck, type CheckResult } from '../schema/check.js'
import { admitsPollutingKeys } from '../schema/closed.js'
import type { JsonSchema } from '../schema/walk.js'

/** @internal A route ready to run: its definition loads lazily, its params check is compiled. */
export interface WsRoute {
  readonly entry: ServerWsRoute
  readonly check: ((input: unknown, fromText: boolean) => CheckResult) | undefined
  /** Params that pass the check may still hold a prototype-polluting key: scan every call's (schema/closed.ts). */
  readonly scanParams: boolean
  /** Fixed positional parameters (the context comes after them), or `undefined` with a rest parameter. */
  readonly fixedParams: number | undefined
  load(): Promise<WsRouteDefinitionLoaded>
  /** The definition once loaded: calls after the first skip the wait. */
  readonly loaded: WsRouteDefinitionLoaded | undefined
}

/** @internal */
export interface WsRouteDefinitionLoaded {
  handler: (...args: unknown[]) => unknown
  middleware: readonly Middleware<any, any>[]
}

/** @internal */
export function compileRoute(entry: ServerWsRoute): WsRoute {
  let loading: Promise<WsRouteDefinitionLoaded> | undefined
  const schema = entry.paramsSchema as { prefixItems?: unknown[]; items?: unknown } | undefined
  const rest = schema !== undefined && schema.items !== undefined && schema.items !== false
  const route: { -readonly [K in keyof WsRoute]: WsRoute[K] } = {
    entry,
    check: entry.paramsSchema ? compileCheck(entry.paramsSchema) : undefined,
    scanParams: entry.paramsSchema === undefined || admitsPollutingKeys(entry.paramsSchema as JsonSchema),
    fixedParams: rest ? undefined : (schema?.prefixItems?.length ?? 0),
    loaded: undefined,
    load() {
      loading ??= entry.import().then((definition) => {
        if (definition?.protocol !== 'ws' || typeof definition.handler !== 'function') {
          throw new Error(`Route "${entry.name}": the manifest's import() did not return a WebSocket route definition; regenerate the server manifest.`)
        }
        const { handler, middleware } = definition as unknown as WsRouteDefinitionLoaded
        return (route.loaded = { handler, middleware: middleware ?? [] })
      })
      // A failed import is retried on the next call instead of failing forever.
      loading.catch(() => (loading = undefined))
      return loading
    },
  }
  return route
}
