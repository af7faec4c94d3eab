/**
 * Calls the compiler must reject. `tsc` (npm run typecheck) fails if any `@ts-expect-error`
 * below is not needed, i.e. if the line compiles. Nothing here runs.
 */
import { defineClient } from 'wirerpc/client'
import * as api from '../client/fixtures/client-api.js'
import type { Post } from '../client/fixtures/client-api.js'

export async function wrongCalls(): Promise<void> {
  const client = defineClient(api, { prefixUrl: 'http://127.0.0.1:1/' })

  // @ts-expect-error the path parameter is a number
  void client.getPost('5')
  // @ts-expect-error the required path parameter is missing from the object
  void client.getPost({ include: 'author' })
  // @ts-expect-error params are required
  void client.getPost()
  // @ts-expect-error a query key of the wrong type
  void client.getPost({ id: 1, include: 2 })
  // @ts-expect-error one of two path parameters is missing
  void client.getComment({ postId: 1 })
  // @ts-expect-error the shorthand is only for routes with exactly one path parameter
  void client.getComment(1)
  // @ts-expect-error a value outside the literal union
  void client.getComment({ postId: 1, commentId: 2, sort: 'random' })
  // @ts-expect-error an array of the wrong element type in a JSON body
  void client.createPost({ title: 'x', tags: [1], publishedAt: new Date() })
  // @ts-expect-error a required body field is missing
  void client.replacePost({ id: 1 })
  // @ts-expect-error a raw-body route takes FormData, not an object
  void client.upload({ name: 'report' })
  // @ts-expect-error a route without params takes only options
  void client.ping({ id: 1 }, {})
  // @ts-expect-error timeout is a number of seconds or false
  void client.ping({ timeout: '5s' })
  // @ts-expect-error errorMode is a client option, not a call option
  void client.ping({ errorMode: 'return' })
  // @ts-expect-error no such route
  void client.deleteEverything()

  // @ts-expect-error a json route resolves to its result type, not to another
  const title: string = await client.getPost(1)
  // @ts-expect-error a void route has no result to use
  const nothing: string = await client.touch()
  // @ts-expect-error a stream is not a promise of an array
  const posts: Post[] = await client.listPosts()
  // @ts-expect-error a next page may not exist
  void client.listPosts().nextPage().toArray()
  // @ts-expect-error a response route resolves to a Response, not to JSON
  const parsed: Post = await client.download()

  const returning = defineClient(api, { errorMode: 'return' })
  // @ts-expect-error with errorMode 'return' the result is a tuple
  const post: Post = await returning.getPost(1)
  const [error, result] = await returning.getPost(1)
  // @ts-expect-error the result may be undefined until the error is checked
  const id: number = result.id

  // @ts-expect-error an unknown error mode
  defineClient(api, { errorMode: 'ignore' })
  // @ts-expect-error an explicit 'reject' type argument does not accept errorMode 'return'
  defineClient<typeof api, 'reject'>(api, { errorMode: 'return' })
  // @ts-expect-error retry limit is a number
  defineClient(api, { retry: { limit: '2' } })
  // @ts-expect-error signal is a per-call option
  defineClient(api, { signal: new AbortController().signal })
  // @ts-expect-error the manifest must hold routes
  defineClient({ notARoute: 5 })

  void [title, nothing, posts, parsed, post, error, id]
}
