/**
 * `defineClient(routes, options)`: one function per client manifest entry, plus `extend()`.
 *
 * @module
 */
import type { ClientHttpRoute, ClientManifest, ClientPushEvent, ClientRouteInfo, ClientWsRoute } from '../protocol/manifest.js'
import { encodeCall } from './http/encode-call.js'
import { readJsonResult } from './http/json-result.js'
import { send, type HttpCall } from './http/request.js'
import { openResponseStream } from './http/response-stream.js'
import { resolvePrefixUrl } from './http/url.js'
import { EMPTY_OPTIONS, mergeOptions, type ClientOptions, type ErrorMode, type MergedOptions, type RequestOptions } from './options.js'
import type { Client } from './types.js'
import { createWsRouteFunction } from './ws/calls.js'
import { attachSlot, ConnectionSlot } from './ws/handle.js'
import { createPushSource } from './ws/push.js'

/** Names a route cannot have, because the client itself uses them. */
const RESERVED_NAMES: ReadonlySet<string> = new Set(['extend'])

const FORMATS: ReadonlySet<string> = new Set(['json', 'json-seq', 'response'])

/**
 * Creates a client for the routes of a client manifest:
 *
 * ```ts
 * import * as api from './client/api.js'
 * const client = defineClient(api, { prefixUrl: 'https://example.com/api/' })
 * const post = await client.getPost(5)
 * ```
 *
 * With `errorMode: 'return'`, calls resolve to `[error, undefined] | [undefined, result]`.
 * Throws a `TypeError` when an option is invalid or an entry does not look like a route.
 */
export function defineClient<TRoutes extends ClientManifest, TErrorMode extends ErrorMode = 'reject'>(
  routes: TRoutes,
  options: ClientOptions<TErrorMode> = {},
): Client<TRoutes, TErrorMode> {
  const merged = mergeOptions(EMPTY_OPTIONS, options)
  return createClient(routes, merged, new ConnectionSlot(merged)) as Client<TRoutes, TErrorMode>
}

function createClient(routes: ClientManifest, options: MergedOptions, slot: ConnectionSlot): Record<string, unknown> {
  const client: Record<string, unknown> = {}
  attachSlot(client, slot)
  for (const name of Object.keys(routes)) {
    const route: unknown = routes[name]
    if (!isRoute(route)) continue
    if (RESERVED_NAMES.has(name)) {
      throw new TypeError(`Route "${name}" clashes with the client's own \`${name}()\` method: rename the route.`)
    }
    client[name] =
      route.protocol === 'ws'
        ? createWsRouteFunction(checkWsRoute(name, route), options, () => slot.connection)
        : route.protocol === 'push'
          ? createPushSource(checkPushEvent(name, route), () => slot.connection.pushes)
          : createRouteFunction(name, checkHttpRoute(name, route), options)
  }
  client['extend'] = (more: ClientOptions) => {
    const merged = mergeOptions(options, more)
    return createClient(routes, merged, slot.derive(merged))
  }
  return Object.freeze(client)
}

function createRouteFunction(name: string, route: ClientHttpRoute, clientOptions: MergedOptions) {
  const prepare = (args: unknown[]): HttpCall => {
    const [params, callOptions] = route.arity === 1 ? [undefined, args[0]] : [args[0], args[1]]
    const options = callOptions === undefined ? clientOptions : mergeOptions(clientOptions, callOptions as RequestOptions)
    const { path, body, contentType } = encodeCall(name, route, params)
    return { method: route.method, prefixUrl: resolvePrefixUrl(options.prefixUrl), path, body, contentType, options }
  }
  if (route.format === 'json-seq') {
    return (...args: unknown[]) => openResponseStream(() => prepare(args))
  }
  const run = async (args: unknown[]): Promise<unknown> => {
    const exchange = await send(prepare(args))
    return route.format === 'response' ? exchange.response : readJsonResult(exchange)
  }
  if (clientOptions.errorMode === 'return') {
    return (...args: unknown[]) =>
      run(args).then(
        (result) => [undefined, result],
        (error: unknown) => [error, undefined],
      )
  }
  return (...args: unknown[]) => run(args)
}

function isRoute(value: unknown): value is ClientRouteInfo {
  if (typeof value !== 'object' || value === null) return false
  const protocol = (value as { protocol?: unknown }).protocol
  return protocol === 'http' || protocol === 'ws' || protocol === 'push'
}

function checkPushEvent(name: string, route: ClientRouteInfo): ClientPushEvent {
  const push = route as ClientPushEvent
  if (typeof push.name !== 'string' || push.name === '') {
    throw new TypeError(`Push event "${name}" is not a valid client manifest entry (name): regenerate the client manifest.`)
  }
  return push
}

const PATTERNS: ReadonlySet<string> = new Set(['n', 'r', 's'])

function checkWsRoute(name: string, route: ClientRouteInfo): ClientWsRoute {
  const ws = route as ClientWsRoute
  const valid = typeof ws.name === 'string' && PATTERNS.has(ws.pattern) && Number.isInteger(ws.arity) && ws.arity >= 0
  if (!valid) {
    throw new TypeError(`Route "${name}" is not a valid client manifest entry (name, pattern, arity): regenerate the client manifest.`)
  }
  return ws
}

function checkHttpRoute(name: string, route: ClientRouteInfo): ClientHttpRoute {
  const http = route as ClientHttpRoute
  const valid =
    typeof http.method === 'string' &&
    typeof http.path === 'string' &&
    Array.isArray(http.pathParams) &&
    FORMATS.has(http.format) &&
    (http.arity === 1 || http.arity === 2)
  if (!valid) {
    throw new TypeError(`Route "${name}" is not a valid client manifest entry (method, path, pathParams, format, arity): regenerate the client manifest.`)
  }
  return http
}
