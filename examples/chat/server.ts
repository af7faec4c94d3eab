// The chat demo's server: the API under /api (HTTP routes and the WebSocket at /api/ws) and the
// page at /, on embedded defaults (in memory: no database, no Redis, no config). `npm start`.
import { readFile } from 'node:fs/promises'
import { serve } from 'wirerpc/node'
import { createRedisPubSub } from 'wirerpc/redis'
import { createMemoryPubSub } from 'wirerpc/service'
import routes from './generated/server-api.js'

// In memory by default; with REDIS_URL, on Redis Streams, so that several instances share the
// live messages (docs/scaling.md). The history and presence stay per instance in this demo.
const redisUrl = process.env['REDIS_URL']
const pubsub = redisUrl ? createRedisPubSub({ url: redisUrl }) : createMemoryPubSub()

/** The only files the page needs; anything else is a 404. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'dist/app.js', type: 'text/javascript; charset=utf-8' },
  '/app.js.map': { file: 'dist/app.js.map', type: 'application/json' },
}

async function page(request: Request): Promise<Response> {
  const entry = FILES[new URL(request.url).pathname]
  if (!entry || (request.method !== 'GET' && request.method !== 'HEAD')) return new Response('Not found', { status: 404 })
  const body = await readFile(new URL(`./web/${entry.file}`, import.meta.url))
  return new Response(body, { headers: { 'content-type': entry.type, 'cache-control': 'no-cache' } })
}

const server = await serve(routes, {
  port: Number(process.env['PORT'] ?? 3000),
  hostname: process.env['HOST'] ?? '127.0.0.1',
  prefix: '/api',
  fallback: page,
  pubsub,
  // One line per connection opened or closed, refused upgrade and unexpected error; never a message body or a token.
  logger: true,
})

console.log(`messages go through ${redisUrl ? `Redis (${new URL(redisUrl).host})` : 'memory (set REDIS_URL for Redis)'}`)
console.log(`wirerpc chat demo: open ${server.url.replace(/api\/$/, '')} in two browser windows`)

const shutdown = () => void server.close().then(() => pubsub.close()).then(() => process.exit(0))
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)
