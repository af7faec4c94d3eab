/**
 * wirerpc `serve()` with a hand-written server manifest (what the generator would emit), at
 * `<url>ws`: `echo` and `publish` requests, `ticks` and `events` subscriptions. `events` reads the
 * default in-memory PubSub (`ctx.pubsub`); `publish` publishes there. Fan-out goes through server
 * push by default (`follow` joins, `broadcast` publishes), through `events`/`publish` with
 * BENCH_WIRERPC_FANOUT=subscription. Default options except
 * `maxMessageRate: 0` (the load sends far more than its default 10,000 messages a second).
 */
import { serve } from 'wirerpc/node'
import { pushEvent, route, type ServerManifest, type WsContext } from 'wirerpc/service'
import { echo as echoWork, ticks as ticksWork } from '../../lib/client-ws-work.js'
import { TOPIC, type FanMessage } from '../protocol.js'
import { hostServer } from '../server-host.js'

const echo = route.ws(echoWork)
const ticks = route.ws(ticksWork)
const events = route.ws(async function* (topic: string, ctx: WsContext) {
  for await (const event of ctx.pubsub.subscribe<FanMessage>(topic, { signal: ctx.signal })) yield event.value
})
const publish = route.ws(async (round: number, count: number, ctx: WsContext): Promise<number> => {
  const sent: Promise<string>[] = []
  for (let s = 0; s < count; s++) sent.push(ctx.pubsub.publish(TOPIC, { r: round, s } satisfies FanMessage))
  await Promise.all(sent)
  return count
})

// Fan-out through server push (the default; like Socket.IO's rooms): `follow` joins the topic for
// as long as the call runs, `broadcast` publishes push events, each serialised once per publish.
const news = pushEvent<FanMessage>('news')
const follow = route.ws(async function* (topic: string, ctx: WsContext) {
  ctx.defer(ctx.connection.join(topic))
  yield 'joined'
  await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }))
})
const broadcast = route.ws(async (round: number, count: number, ctx: WsContext): Promise<number> => {
  const sent: Promise<string>[] = []
  for (let s = 0; s < count; s++) sent.push(news.publish(ctx.pubsub, TOPIC, { r: round, s }))
  await Promise.all(sent)
  return count
})

const tuple = (...items: object[]) => ({ type: 'array', prefixItems: items, items: false, minItems: items.length, maxItems: items.length })
const echoSchema = { type: 'object', properties: { a: { type: 'number' }, b: { type: 'string' } }, required: ['a', 'b'], additionalProperties: false }

const manifest: ServerManifest = [
  { protocol: 'ws', name: 'echo', pattern: 'r', paramsSchema: tuple(echoSchema), import: async () => echo },
  { protocol: 'ws', name: 'ticks', pattern: 's', paramsSchema: tuple({ type: 'number' }), import: async () => ticks },
  { protocol: 'ws', name: 'events', pattern: 's', paramsSchema: tuple({ type: 'string' }), import: async () => events },
  { protocol: 'ws', name: 'publish', pattern: 'r', paramsSchema: tuple({ type: 'integer' }, { type: 'integer' }), import: async () => publish },
  { protocol: 'ws', name: 'follow', pattern: 's', paramsSchema: tuple({ type: 'string' }), import: async () => follow },
  { protocol: 'ws', name: 'broadcast', pattern: 'r', paramsSchema: tuple({ type: 'integer' }, { type: 'integer' }), import: async () => broadcast },
]

// BENCH_WIRERPC_COMPRESSION=1: permessage-deflate as `compression: true` sets it up (docs/performance.md).
const compression = process.env['BENCH_WIRERPC_COMPRESSION'] === '1'
const server = await serve(manifest, { port: 0, hostname: '127.0.0.1', shutdownTimeout: 1, maxMessageRate: 0, compression })
hostServer(server.port, () => server.close())
