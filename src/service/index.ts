/**
 * `wirerpc/service`: everything a route module and a server need.
 *
 * @module
 */
export { route } from './route.js'
export type { RouteFactory, RouteBuilder, HttpRouteDefinition, WsRouteDefinition, WsContext, PathParam } from './route.js'
export { runMiddleware } from './middleware.js'
export type { Middleware, MiddlewareResult } from './middleware.js'
export type { RequestContext, ResponseHook, Promisable } from './context.js'
export { paginate, isPaginationLinks } from './pagination.js'
export type { PaginationLinks } from './pagination.js'
export * from './errors.js'
export type * as t from './constraints.js'
export { compileRoutes, DEFAULT_MAX_BODY_SIZE } from './http/compile-routes.js'
export type { CompileRoutesOptions, FetchHandler } from './http/compile-routes.js'
export type { CorsOptions } from './http/cors.js'
export { dateSchema } from './schema/revive.js'
export type { JsonSchema } from './schema/walk.js'
export type { ServerManifest, ServerRoute, ServerHttpRoute, ServerWsRoute } from '../protocol/manifest.js'
export { createWsEngine, pushEvent } from './ws/index.js'
export type { WsEngine, WsEngineOptions, WsPeer, WsUpgrade, PushEvent, WsConnection } from './ws/index.js'
export { createMemoryPubSub, ResyncRequiredError, tracked } from './pubsub/index.js'
export type { MemoryPubSub, MemoryPubSubOptions, PubSub, PubSubEvent, PubSubSubscribeOptions, Tracked } from './pubsub/index.js'
