/**
 * The type of a client: one typed function per client manifest entry, whose signature comes from
 * the entry's `Route<…>` type and whose result follows the client's `errorMode`.
 *
 * @module
 */
import type { ClientManifest, RouteCall } from '../protocol/manifest.js'
import type { ClientOptions, ErrorMode } from './options.js'

/**
 * What a call resolves to with `errorMode: 'return'`: `[error, undefined]` when it failed,
 * `[undefined, result]` when it succeeded. Check `error` first (a `void` route's result is
 * `undefined` either way).
 */
export type ResultTuple<T> = [error: Error, result: undefined] | [error: undefined, result: T]

/**
 * A call's result under an error mode. In `return` mode, promises resolve to a `ResultTuple`;
 * synchronous results (a `ResponseStream`) are unchanged and still throw from their iterator.
 */
export type RouteResult<TResult, TErrorMode extends ErrorMode> = TErrorMode extends 'return'
  ? TResult extends PromiseLike<infer T>
    ? Promise<ResultTuple<T>>
    : TResult
  : TResult

/** The client function of one manifest entry (for a push event, its `PushSource`). */
export type RouteFunction<TRoute, TErrorMode extends ErrorMode = 'reject'> =
  RouteCall<TRoute> extends (...args: infer TArgs) => infer TResult ? (...args: TArgs) => RouteResult<TResult, TErrorMode> : RouteCall<TRoute>

/** Methods every client has besides its routes. */
export interface ClientMethods<TRoutes extends ClientManifest, TErrorMode extends ErrorMode> {
  /**
   * A new client for the same routes with `options` layered over this client's: headers merge by
   * name, hooks are appended, retry options merge field by field, other options replace.
   */
  extend<TNewErrorMode extends ErrorMode = TErrorMode>(options: ClientOptions<TNewErrorMode>): Client<TRoutes, TNewErrorMode>
}

/** A client for the routes of a client manifest (`import * as api from './client/api'`). */
export type Client<TRoutes extends ClientManifest = ClientManifest, TErrorMode extends ErrorMode = 'reject'> = {
  readonly [K in keyof TRoutes]: RouteFunction<TRoutes[K], TErrorMode>
} & ClientMethods<TRoutes, TErrorMode>
