// A small blog API: the route module as a user writes it.
import { NotFoundError, paginate, route, UnauthorizedError, type WsContext } from 'wirerpc/service'
import type { t } from 'wirerpc/service'

export interface Post {
  id: number
  title: string
  body: string
  createdAt: string
}

const posts: Post[] = Array.from({ length: 25 }, (_, i) => ({
  id: i + 1,
  title: `Post number ${i + 1}`,
  body: 'Lorem ipsum dolor sit amet.',
  createdAt: new Date(Date.UTC(2026, 0, i + 1)).toISOString(),
}))

/** Streams posts, a page at a time, with links to the neighbouring pages. */
export const listPosts = route('/posts').get(async function* ({ offset = 0, limit = 10 }: { offset?: number; limit?: number }) {
  const page = posts.slice(offset, offset + limit)
  for (const post of page) yield post
  return paginate(this, {
    prev: offset > 0 ? { offset: Math.max(0, offset - limit), limit } : null,
    next: offset + limit < posts.length ? { offset: offset + limit, limit } : null,
  })
})

/** One post by id. */
export const getPost = route('/posts/:id').get(async (id: number) => {
  const post = posts.find((candidate) => candidate.id === id)
  if (!post) throw new NotFoundError(`There is no post ${id}.`)
  return post
})

// Writes need a token: the middleware adds `ctx.user` for the routes it guards.
const authed = route.use(async (ctx) => {
  if (ctx.request.headers.get('authorization') !== 'Bearer demo') {
    throw new UnauthorizedError({ message: 'Send "authorization: Bearer demo" to write.', headers: { 'www-authenticate': 'Bearer' } })
  }
  return { define: { user: 'demo' } }
})

/** Creates a post. */
export const createPost = authed('/posts').post(async ({ title, body }: { title: string & t.MaxLength<140>; body: string }, ctx) => {
  const post: Post = { id: posts.length + 1, title, body, createdAt: new Date().toISOString() }
  posts.push(post)
  ctx.response.status = 201
  return { ...post, author: ctx.user }
})

// --- WebSocket routes: one shared connection at /api/ws ---

export interface UserData {
  id: string
  name: string
}

/** Records an analytics event (a notification: nothing comes back). */
export const logEvent = route.ws(async (event: string, data: { userId: number }) => {
  console.log(`event ${event} from user ${data.userId}`)
})

/** One user (a request). */
export const getUserData = route.ws(async (userId: string): Promise<UserData> => ({ id: userId, name: `User ${userId}` }))

/** A live feed of a topic: one update a second, forever (a subscription). */
export const subscribeToUpdates = route.ws(async function* (topic: string, ctx: WsContext) {
  for (let seq = 1; !ctx.signal.aborted; seq++) {
    yield { topic, seq, timestamp: Date.now() }
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
})
