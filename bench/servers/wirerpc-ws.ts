/**
 * wirerpc `serve()` with two WebSocket routes and a hand-written server manifest (what the
 * generator would emit for them): a request and a subscription, at `<url>ws`.
 */
import { serve } from 'wirerpc/node'
import { route, type ServerManifest } from 'wirerpc/service'
import { getUser as getUserWork, METHOD, ticks as ticksWork } from '../lib/ws-work.js'
import { announce } from './work.js'

// The handlers are the shared functions themselves (`async (id: string) => ({ id, name: 'x' })` and
// an `async function*`), so both servers run the very same code per call and per item. The
// context wirerpc passes as an extra last argument is ignored.
const getUser = route.ws(getUserWork)
const ticks = route.ws(ticksWork)

const oneString = { type: 'array', prefixItems: [{ type: 'string' }], items: false, minItems: 1, maxItems: 1 }

const manifest: ServerManifest = [
  { protocol: 'ws', name: METHOD.getUser, pattern: 'r', paramsSchema: oneString, import: async () => getUser },
  { protocol: 'ws', name: METHOD.ticks, pattern: 's', paramsSchema: oneString, import: async () => ticks },
]

// Default WebSocket options (maxInFlight 100, highWaterMark 1 MiB, maxMessageSize 1 MiB, no compression), except:
// maxMessageRate off: the load sends far more than its default of 10,000 messages a second on one
// connection, on purpose (the bare ws servers have no such limit either). Every other option is the default.
const server = await serve(manifest, { port: 0, hostname: '127.0.0.1', shutdownTimeout: 1, maxMessageRate: 0 })
announce(server.port, () => server.close())
