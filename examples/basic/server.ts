// The basic example server: `npm run start:basic`. Embedded defaults only (no Redis, no config file).
import { serve } from 'wirerpc/node'
import routes from './generated/server-api.js'

const server = await serve(routes, {
  port: Number(process.env['PORT'] ?? 3000),
  hostname: process.env['HOST'] ?? '127.0.0.1',
  prefix: '/api',
})

console.log(`wirerpc demo API listening on ${server.url}`)
console.log(`  curl ${server.url}posts/1`)
console.log(`  curl '${server.url}posts?limit=3'`)
console.log(`  curl -X POST ${server.url}posts -H 'authorization: Bearer demo' -H 'content-type: application/json' -d '{"title":"Hi","body":"…"}'`)

const shutdown = () => void server.close().then(() => process.exit(0))
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)
