/**
 * `wirerpc/redis`: the `PubSub` of `wirerpc/service` on Redis Streams, for several server
 * instances behind a load balancer (docs/scaling.md). Needs the `redis` package (node-redis),
 * an optional peer dependency.
 *
 * @module
 */
export { createRedisPubSub } from './pubsub.js'
export type { RedisPubSubOptions, RedisPubSubClient } from './pubsub.js'
