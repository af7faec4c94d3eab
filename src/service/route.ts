/**
 * `route(path).get(handler)`, `route.use(middleware)` and `route.ws(handler)`: the definitions
 * that route modules export and the generator reads (docs/routes.md).
 *
 * Handler arity follows the path: `(data, ctx)` with no path parameter, `(param, data, ctx)` with
 * one, `([p1, p2], data, ctx)` with several. `this` is the route definition, for `paginate(this, …)`.
 *
 * @module
 */
import type { HttpMethod } from '../protocol/manifest.js'
import type { RequestContext } from './context.js'
import type { PubSub } from './pubsub/pubsub.js'
import type { WsConnection } from './ws/connection-handle.js'
import type { Middleware } from './middleware.js'

/** The value of a path parameter once coerced by its declared type. */
export type PathParam = string | number | boolean | readonly (string | number)[]

type ParamNames<P extends string> = P extends `${string}${':' | '*'}${infer Name}/${infer Rest}`
  ? Name | ParamNames<Rest>
  : P extends `${string}${':' | '*'}${infer Name}`
    ? Name
    : never
type CountParams<P extends string> = [ParamNames<P>] extends [never] ? 0 : IsUnion<ParamNames<P>> extends false ? 1 : 2
type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never

/** An HTTP route as a route module exports it. */
export interface HttpRouteDefinition<
  TPath extends string = string,
  TMethod extends HttpMethod = HttpMethod,
  THandler extends (...args: any[]) => unknown = (...args: any[]) => unknown,
> {
  readonly protocol: 'http'
  readonly method: TMethod
  readonly path: TPath
  readonly handler: THandler
  readonly middleware: readonly Middleware<any, any>[]
}

/**
 * The context a WebSocket handler receives as its last argument (annotate it as `ctx: WsContext`,
 * or `ctx: WsContext & …` behind middleware).
 */
export interface WsContext {
  /** Connection id, unique within the server process. */
  readonly id: string
  /** The client's IP address, from the upgrade request. */
  readonly ip: string
  /** Headers of the upgrade request. */
  readonly headers: Headers
  /** Aborted when the call is cancelled or the connection closes. */
  readonly signal: AbortSignal
  /** Runs `fn` when the call ends, however it ends. */
  defer(fn: () => void | Promise<void>): void
  /**
   * For a subscription the client resumed after a reconnect: the event id of the last item it
   * received (`yield tracked(id, value)`); pass it to `pubsub.subscribe`. `undefined` otherwise.
   */
  readonly lastEventId: string | undefined
  /** The server's `PubSub` (`serve(routes, { pubsub })`; in memory by default). */
  readonly pubsub: PubSub
  /**
   * This call's connection, to keep and push to later (`connection.push(event, value)`) and to join
   * to broadcast topics (`connection.join(topic)`): docs/websocket.md, "Server push".
   */
  readonly connection: WsConnection
}

/** A WebSocket route as a route module exports it. */
export interface WsRouteDefinition<THandler extends (...args: any[]) => unknown = (...args: any[]) => unknown> {
  readonly protocol: 'ws'
  readonly handler: THandler
  readonly middleware: readonly Middleware<any, any>[]
}

// The handler shapes, one per path-parameter count. Plain generic signatures (no conditional
// types inside the generic call) keep TypeScript's inference cheap: the generator checks every
// route of a project on each run.
type FixedHandler<TPath extends string, TCtx, TData, TResult> = (this: HttpRouteDefinition<TPath>, data: TData, ctx: TCtx) => TResult
type SingleHandler<TPath extends string, TCtx, TParam, TData, TResult> = (this: HttpRouteDefinition<TPath>, param: TParam, data: TData, ctx: TCtx) => TResult
type MultiHandler<TPath extends string, TCtx, TParams, TData, TResult> = (this: HttpRouteDefinition<TPath>, params: TParams, data: TData, ctx: TCtx) => TResult

interface FixedDefiner<TPath extends string, TMethod extends HttpMethod, TCtx> {
  <TData = any, TResult = unknown>(handler: FixedHandler<TPath, TCtx, TData, TResult>): HttpRouteDefinition<TPath, TMethod, FixedHandler<TPath, TCtx, TData, TResult>>
}
interface SingleDefiner<TPath extends string, TMethod extends HttpMethod, TCtx> {
  <TParam extends PathParam = string, TData = any, TResult = unknown>(
    handler: SingleHandler<TPath, TCtx, TParam, TData, TResult>,
  ): HttpRouteDefinition<TPath, TMethod, SingleHandler<TPath, TCtx, TParam, TData, TResult>>
}
interface MultiDefiner<TPath extends string, TMethod extends HttpMethod, TCtx> {
  <TParams extends readonly PathParam[] = string[], TData = any, TResult = unknown>(
    handler: MultiHandler<TPath, TCtx, TParams, TData, TResult>,
  ): HttpRouteDefinition<TPath, TMethod, MultiHandler<TPath, TCtx, TParams, TData, TResult>>
}

type Definer<TPath extends string, TMethod extends HttpMethod, TCtx, N> = N extends 0
  ? FixedDefiner<TPath, TMethod, TCtx>
  : N extends 1
    ? SingleDefiner<TPath, TMethod, TCtx>
    : MultiDefiner<TPath, TMethod, TCtx>

/** One definer per HTTP method, lower- or upper-case; `N` is the path's parameter count (0, 1, 2+). */
interface Definers<TPath extends string, TCtx, N> {
  get: Definer<TPath, 'GET', TCtx, N>
  post: Definer<TPath, 'POST', TCtx, N>
  put: Definer<TPath, 'PUT', TCtx, N>
  patch: Definer<TPath, 'PATCH', TCtx, N>
  delete: Definer<TPath, 'DELETE', TCtx, N>
  head: Definer<TPath, 'HEAD', TCtx, N>
  GET: Definer<TPath, 'GET', TCtx, N>
  POST: Definer<TPath, 'POST', TCtx, N>
  PUT: Definer<TPath, 'PUT', TCtx, N>
  PATCH: Definer<TPath, 'PATCH', TCtx, N>
  DELETE: Definer<TPath, 'DELETE', TCtx, N>
  HEAD: Definer<TPath, 'HEAD', TCtx, N>
}

/** What `route(path)` returns: one definer per HTTP method, lower- or upper-case. */
export type RouteBuilder<TPath extends string, TCtx> = Definers<TPath, TCtx, CountParams<TPath>>

/** `route` itself, and what `route.use(…)` returns: a factory of routes sharing middleware. */
export interface RouteFactory<TContext extends object = {}> {
  <TPath extends string>(path: TPath): RouteBuilder<TPath, RequestContext & TContext>
  /** Returns a factory whose routes (HTTP and WebSocket) run `middleware` first and see what it defines. */
  use<TDefine extends object = {}>(middleware: Middleware<TContext, TDefine>): RouteFactory<TContext & TDefine>
  /**
   * Defines a WebSocket route: positional arguments, with the context last. The return type picks
   * the pattern: `void` (notification), a JSON value (request), an async generator (subscription).
   * Annotate the context as `ctx: WsContext` (an unannotated trailing `ctx` is taken as the
   * context too, typed `any`).
   */
  ws<THandler extends (...args: any[]) => unknown>(handler: THandler): WsRouteDefinition<THandler>
}

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']

function createFactory(middleware: readonly Middleware<any, any>[]): RouteFactory<any> {
  const factory = (path: string) => {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new TypeError(`route(path): the path must be a string starting with "/", got ${JSON.stringify(path)}.`)
    }
    const builder: Record<string, unknown> = {}
    for (const method of METHODS) {
      const define = (handler: (...args: any[]) => unknown) => {
        if (typeof handler !== 'function') {
          throw new TypeError(`route('${path}').${method.toLowerCase()}(handler): the handler must be a function.`)
        }
        return Object.freeze({ protocol: 'http', method, path, handler, middleware })
      }
      builder[method] = define
      builder[method.toLowerCase()] = define
    }
    return builder
  }
  factory.use = (next: Middleware<any, any>) => {
    if (typeof next !== 'function') throw new TypeError('route.use(middleware): the middleware must be a function.')
    return createFactory([...middleware, next])
  }
  factory.ws = (handler: (...args: any[]) => unknown) => {
    if (typeof handler !== 'function') throw new TypeError('route.ws(handler): the handler must be a function.')
    return Object.freeze({ protocol: 'ws', handler, middleware })
  }
  return factory as unknown as RouteFactory<any>
}

/** Starts a route definition: `export const getPost = route('/posts/:id').get(async (id) => …)`. */
export const route: RouteFactory = createFactory([])
