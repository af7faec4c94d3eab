/**
 * wirerpc `serve()` for the end-to-end client benchmark (`bench/client-ws.ts`): an `echo` request
 * and a finite `ticks` subscription, with a hand-written server manifest (what the generator would
 * emit for them), at `<url>ws`.
 */
import { serve } from 'wirerpc/node'
import { route, type ServerManifest } from 'wirerpc/service'
import { echo as echoWork, ticks as ticksWork } from '../lib/client-ws-work.js'
import { announce } from './work.js'

// The handlers are the shared functions themselves; the context wirerpc passes as an extra last
// argument is ignored.
const echo = route.ws(echoWork)
const ticks = route.ws(ticksWork)

const tuple = (item: object) => ({ type: 'array', prefixItems: [item], items: false, minItems: 1, maxItems: 1 })
const echoSchema = { type: 'object', properties: { a: { type: 'number' }, b: { type: 'string' } }, required: ['a', 'b'], additionalProperties: false }

const manifest: ServerManifest = [
  { protocol: 'ws', name: 'echo', pattern: 'r', paramsSchema: tuple(echoSchema), import: async () => echo },
  { protocol: 'ws', name: 'ticks', pattern: 's', paramsSchema: tuple({ type: 'number' }), import: async () => ticks },
]

// Default WebSocket options: maxInFlight 100, highWaterMark 1 MiB, maxMessageSize 1 MiB, no compression.
// maxMessageRate off: the load sends far more than its default of 10,000 messages a second on one
// connection, on purpose (the bare ws servers have no such limit either). Every other option is the default.
const server = await serve(manifest, { port: 0, hostname: '127.0.0.1', shutdownTimeout: 1, maxMessageRate: 0 })
announce(server.port, () => server.close())
