// Type tests for route definitions: checked by `tsc` (npm run typecheck), which fails on a wrong
// expectTypeOf or an unused @ts-expect-error; vitest runs the runtime half.
import { describe, expectTypeOf, it, expect } from 'vitest'
import { paginate, route, UnauthorizedError, type HttpRouteDefinition, type RequestContext } from 'wirerpc/service'

describe('route types', () => {
  it('gives handlers (data, ctx), (param, data, ctx) or ([params], data, ctx) by path', () => {
    const none = route('/posts').get(async (data: { limit: number }, ctx) => {
      expectTypeOf(ctx).toEqualTypeOf<RequestContext>()
      return data.limit
    })
    const one = route('/posts/:id').get(async (id: number, _data: {}, ctx) => {
      expectTypeOf(ctx).toEqualTypeOf<RequestContext>()
      return id
    })
    const several = route('/a/:x/b/:y').post(async ([x, y]: [string, number], body: { z: boolean }) => ({ x, y, z: body.z }))
    const rest = route('/files/*path').get(async (path) => {
      expectTypeOf(path).toEqualTypeOf<string>()
      return path
    })
    expect([none.method, one.method, several.method, rest.method]).toEqual(['GET', 'GET', 'POST', 'GET'])
    expect(several.path).toBe('/a/:x/b/:y')
    expectTypeOf(several.path).toEqualTypeOf<'/a/:x/b/:y'>()

    // @ts-expect-error a path param is a string, a number, a boolean or an array of those
    route('/posts/:id').get(async (id: { nested: true }) => id)
    // @ts-expect-error several path params arrive as one array
    route('/a/:x/b/:y').get(async (x: string) => x)
  })

  it('types `this` as the route so that paginate(this, …) compiles', () => {
    const list = route('/items').get(async function* (query: { page: number }) {
      expectTypeOf(this).toMatchTypeOf<HttpRouteDefinition<'/items'>>()
      yield query.page
      return paginate(this, { prev: null, next: { page: query.page + 1 } })
    })
    expect(list.protocol).toBe('http')
  })

  it('accepts upper-case method names', () => {
    expect(route('/x').GET(async () => 1).method).toBe('GET')
    expect(route('/x').DELETE(async () => 1).method).toBe('DELETE')
  })

  it('types the context that a middleware chain defines', () => {
    const authed = route.use(async (ctx) => {
      if (!ctx.request.headers.has('authorization')) throw new UnauthorizedError()
      return { define: { user: { id: 1, name: 'ada' } } }
    })
    const admin = authed.use(async (ctx) => {
      expectTypeOf(ctx.user).toEqualTypeOf<{ id: number; name: string }>()
      return { define: { isAdmin: ctx.user.id === 1 } }
    })
    const me = admin('/me').get(async (_data: {}, ctx) => {
      expectTypeOf(ctx.user.name).toEqualTypeOf<string>()
      expectTypeOf(ctx.isAdmin).toEqualTypeOf<boolean>()
      return ctx.user
    })
    expect(me.middleware).toHaveLength(2)

    route('/plain').get(async (_data: {}, ctx) => {
      // @ts-expect-error routes outside the chain do not see its context
      return ctx.user
    })
  })

  it('defines WebSocket routes with the middleware of their factory', () => {
    const authed = route.use(async () => ({ define: { user: 'ada' } }))
    const ws = authed.ws(async (userId: string) => ({ userId }))
    expect(ws.protocol).toBe('ws')
    expect(ws.middleware).toHaveLength(1)
    expectTypeOf(ws.handler).parameters.toEqualTypeOf<[userId: string]>()
  })

  it('rejects bad definitions with a clear message', () => {
    // @ts-expect-error the path must be a string
    expect(() => route(5)).toThrow(/must be a string starting with "\/"/)
    expect(() => route('no-slash')).toThrow(/must be a string starting with "\/"/)
    // @ts-expect-error the handler must be a function
    expect(() => route('/x').get('nope')).toThrow(/handler must be a function/)
    // @ts-expect-error middleware must be a function
    expect(() => route.use(null)).toThrow(/middleware must be a function/)
  })
})
