/**
 * Types of `defineClient`: each assertion is checked by `tsc` (npm run typecheck); at run time the
 * calls below only build clients and never send a request.
 */
import { describe, expectTypeOf, test } from 'vitest'
import { defineClient, type HTTPError, type RequestOptions, type ResponseStream, type ResultTuple } from 'wirerpc/client'
import * as api from '../client/fixtures/client-api.js'
import type { Post } from '../client/fixtures/client-api.js'

const client = defineClient(api, { prefixUrl: 'http://127.0.0.1:1/' })
const returning = defineClient(api, { prefixUrl: 'http://127.0.0.1:1/', errorMode: 'return' })

describe('defineClient types', () => {
  test('a call takes the params and options of its manifest signature', () => {
    expectTypeOf(client.ping).parameters.toEqualTypeOf<[options?: RequestOptions]>()
    expectTypeOf(client.getPost).parameter(0).toEqualTypeOf<number | { id: number; include?: string }>()
    expectTypeOf(client.getComment).parameter(0).toEqualTypeOf<{ postId: number; commentId: number; sort?: 'asc' | 'desc' }>()
    expectTypeOf(client.getFile).parameter(0).toEqualTypeOf<string | string[] | { path: string | string[] }>()
    expectTypeOf(client.upload).parameter(0).toEqualTypeOf<FormData>()
  })

  test('a json route resolves to its result type, a void route to void', () => {
    expectTypeOf(client.getPost).returns.toEqualTypeOf<Promise<Post>>()
    expectTypeOf(client.getComment).returns.resolves.toEqualTypeOf<{ postId: number; commentId: number; sort: 'asc' | 'desc' | null }>()
    expectTypeOf(client.touch).returns.toEqualTypeOf<Promise<void>>()
  })

  test('a response route resolves to a Response', () => {
    expectTypeOf(client.download).returns.toEqualTypeOf<Promise<Response>>()
  })

  test('a json-seq route returns a ResponseStream of its items, synchronously', () => {
    expectTypeOf(client.listPosts).returns.toEqualTypeOf<ResponseStream<Post>>()
    expectTypeOf<ResponseStream<Post>>().toExtend<AsyncIterable<Post>>()
    expectTypeOf<ResponseStream<Post>['toArray']>().returns.toEqualTypeOf<Promise<Post[]>>()
    expectTypeOf<ResponseStream<Post>['nextPage']>().returns.toEqualTypeOf<ResponseStream<Post> | null>()
    expectTypeOf<ResponseStream<Post>['previousPage']>().returns.toEqualTypeOf<ResponseStream<Post> | null>()
    expectTypeOf<ResponseStream<Post>['next']>().returns.resolves.toEqualTypeOf<IteratorResult<Post, undefined>>()
  })

  test("errorMode: 'return' turns promised results into result tuples and leaves streams alone", () => {
    expectTypeOf(returning.getPost).returns.toEqualTypeOf<Promise<[error: Error, result: undefined] | [error: undefined, result: Post]>>()
    expectTypeOf(returning.getPost).returns.resolves.toEqualTypeOf<ResultTuple<Post>>()
    expectTypeOf(returning.touch).returns.resolves.toEqualTypeOf<ResultTuple<void>>()
    expectTypeOf(returning.download).returns.resolves.toEqualTypeOf<ResultTuple<Response>>()
    expectTypeOf(returning.listPosts).returns.toEqualTypeOf<ResponseStream<Post>>()
    expectTypeOf(returning.getPost).parameters.toEqualTypeOf<Parameters<typeof client.getPost>>()
  })

  test('a result tuple narrows on its error', () => {
    const narrow = async () => {
      const [error, post] = await returning.getPost(1)
      if (error) {
        expectTypeOf(error).toEqualTypeOf<Error>()
        expectTypeOf(post).toEqualTypeOf<undefined>()
      } else {
        expectTypeOf(post).toEqualTypeOf<Post>()
      }
    }
    expectTypeOf(narrow).returns.toEqualTypeOf<Promise<void>>()
  })

  test('the error mode can be given as a type argument or changed by extend()', () => {
    const explicit = defineClient<typeof api, 'return'>(api, { errorMode: 'return' })
    expectTypeOf(explicit.getPost).returns.resolves.toEqualTypeOf<ResultTuple<Post>>()
    expectTypeOf(client.extend({ errorMode: 'return' }).getPost).returns.resolves.toEqualTypeOf<ResultTuple<Post>>()
    expectTypeOf(returning.extend({ errorMode: 'reject' }).getPost).returns.toEqualTypeOf<Promise<Post>>()
    expectTypeOf(returning.extend({ headers: { a: '1' } }).getPost).returns.resolves.toEqualTypeOf<ResultTuple<Post>>()
    expectTypeOf(client.extend({ timeout: 5 }).getPost).returns.toEqualTypeOf<Promise<Post>>()
  })

  test('HTTPError exposes the server error body and a literal code', () => {
    expectTypeOf<HTTPError['code']>().toEqualTypeOf<'WIRERPC_ERR_HTTP'>()
    expectTypeOf<HTTPError['status']>().toEqualTypeOf<number>()
    expectTypeOf<NonNullable<HTTPError['body']>['path']>().toEqualTypeOf<string | undefined>()
  })
})
