/**
 * wirerpc `serve()` for the fan-out benchmark (`bench/fanout.ts`), one instance of several sharing
 * one Redis (`REDIS_URL`) through `createRedisPubSub`. Two WebSocket routes, with a hand-written
 * server manifest (what the generator would emit for them), at `<url>ws`:
 *
 * - `events(topic)`: a subscription that yields the value of every event of `topic`, from now on;
 * - `publish(topic, round, count)`: a request that publishes `count` events `{ r: round, s }` on
 *   `topic` (s = 0 … count − 1), in order, at most `PUBLISH_BATCH` in flight, and answers with `count`.
 */
import { createClient } from 'redis'
import { serve } from 'wirerpc/node'
import { createRedisPubSub } from 'wirerpc/redis'
import { route, type ServerManifest, type WsContext } from 'wirerpc/service'
import { parsePublish, type FanoutMessage } from '../lib/fanout-work.js'
import { announce } from './work.js'

/** Publishes sent before the first is awaited: node-redis pipelines them on its one connection. */
const PUBLISH_BATCH = 1_000

const redisUrl = process.env['REDIS_URL']
if (!redisUrl) throw new Error('wirerpc-fanout: REDIS_URL is not set.')
const retention = Number(process.env['FANOUT_RETENTION'] ?? 1000)

const events = route.ws(async function* (topic: string, ctx: WsContext) {
  for await (const event of ctx.pubsub.subscribe<FanoutMessage>(topic, { signal: ctx.signal })) yield event.value
})

const publish = route.ws(async (topicArg: string, roundArg: number, countArg: number, ctx: WsContext): Promise<number> => {
  const { topic, round, count } = parsePublish(topicArg, roundArg, countArg)
  // The calls are made in order, so the XADDs reach Redis in order: the stream ids grow with s.
  for (let start = 0; start < count; start += PUBLISH_BATCH) {
    const end = Math.min(count, start + PUBLISH_BATCH)
    const sent: Promise<string>[] = []
    for (let s = start; s < end; s++) sent.push(ctx.pubsub.publish(topic, { r: round, s } satisfies FanoutMessage))
    await Promise.all(sent)
  }
  return count
})

const tuple = (...items: object[]) => ({ type: 'array', prefixItems: items, items: false, minItems: items.length, maxItems: items.length })

const manifest: ServerManifest = [
  { protocol: 'ws', name: 'events', pattern: 's', paramsSchema: tuple({ type: 'string' }), import: async () => events },
  { protocol: 'ws', name: 'publish', pattern: 'r', paramsSchema: tuple({ type: 'string' }, { type: 'integer' }, { type: 'integer' }), import: async () => publish },
]

// node-redis 6 fails a command whose reply has not been processed within 5 s (its default
// `commandOptions.timeout`). A saturated instance (2 cores for 2–4 servers, Redis and 1,000
// subscribers) takes longer than that to get to the replies of a burst of XADDs: off, on both stacks.
const redis = createClient({ url: redisUrl, commandOptions: { timeout: 0 } })
redis.on('error', (error) => console.error('wirerpc-fanout redis:', error))
await redis.connect()
const pubsub = createRedisPubSub({ client: redis, retention, onError: (error) => console.error('wirerpc-fanout pubsub:', error) })
// Default WebSocket options (highWaterMark 1 MiB, maxMessageSize 1 MiB, no compression), except
// maxMessageRate off, as in the other benchmark servers (it limits what a client sends, not what it receives).
const server = await serve(manifest, { port: 0, hostname: '127.0.0.1', shutdownTimeout: 1, maxMessageRate: 0, pubsub })
announce(server.port, async () => {
  await server.close()
  await pubsub.close()
  await redis.close()
})
