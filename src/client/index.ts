/**
 * `wirerpc/client`: a typed client for the routes of a client manifest (docs/client.md). It runs
 * in browsers and any runtime with `fetch`; it imports nothing Node-only.
 *
 * @module
 */
export { defineClient } from './define-client.js'
export { HTTPError, TimeoutError, NetworkError, WsRequestError, ResyncRequiredError, BufferOverflowError } from './errors.js'
export { connectionOf } from './ws/handle.js'
export type { WsConnection } from './ws/handle.js'
export type { ConnectionState } from './ws/connection.js'
export type { Subscription } from './ws/subscription.js'
export type { PushSource, PushListener, PushInfo } from './ws/push.js'
export type { WsClientOptions, WsCallOptions, WsRequestOptions, WsSubscribeOptions, WsParams, WebSocketConstructor } from './ws/options.js'
export type { ClientError } from './errors.js'
export type {
  ClientOptions,
  RequestOptions,
  RetryOptions,
  Hooks,
  HookOptions,
  BeforeRequestHook,
  AfterResponseHook,
  BeforeErrorHook,
  ErrorMode,
  FetchFunction,
  HeadersOption,
  HeadersValue,
} from './options.js'
export type { ResponseStream } from './http/response-stream.js'
export type { Client, ClientMethods, RouteFunction, RouteResult, ResultTuple } from './types.js'
export type { Route, RouteCall, ClientManifest, ErrorBody, PaginationRecord } from '../protocol/index.js'
