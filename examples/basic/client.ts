// Calls the basic example API with the generated, typed client: `npm run start:basic`, then in another terminal
// `npx tsx examples/basic/client.ts` (API_URL overrides http://127.0.0.1:3000/api/).
import { connectionOf, defineClient, HTTPError } from 'wirerpc/client'
import * as routes from './generated/client-api.js'

const client = defineClient(routes, { prefixUrl: process.env['API_URL'] ?? 'http://127.0.0.1:3000/api/', timeout: 5 })

const post = await client.getPost(1)
console.log(`getPost(1): ${post.title}`)

const firstPage = client.listPosts({ limit: 3 })
console.log(`listPosts page 1: ${(await firstPage.toArray()).map((item) => item.id).join(', ')}`)
const secondPage = firstPage.nextPage()
if (secondPage) console.log(`listPosts page 2: ${(await secondPage.toArray()).map((item) => item.id).join(', ')}`)

try {
  await client.createPost({ title: 'Hello', body: 'from the client' })
} catch (error) {
  if (!(error instanceof HTTPError)) throw error
  console.log(`createPost without a token: ${error.status} ${error.body?.message}`)
}
const authed = client.extend({ headers: { authorization: 'Bearer demo' } })
const created = await authed.createPost({ title: 'Hello', body: 'from the client' })
console.log(`createPost with a token: #${created.id} by ${created.author}`)

// WebSocket routes share one connection at <prefix>/ws, opened by the first call.
await client.logEvent('user_action', { userId: 123 }) // a notification: resolves once sent
const userData = await client.getUserData('123') // a request
console.log(`getUserData('123'): ${userData.name}`)
for await (const update of client.subscribeToUpdates('user-events')) {
  console.log(`subscribeToUpdates: ${update.topic} #${update.seq}`)
  if (update.seq === 2) break // sends $/cancel
}
connectionOf(client).close() // an open WebSocket would keep this script running
