/**
 * Middleware: a function of the request context that may add typed properties to it
 * (`return { define: { user } }`), end the request (`return new Response(…)` or throw an HTTP
 * error), set response headers (`ctx.response.headers`) or run after the response
 * (`ctx.onResponse(…)`). Routes get it through `route.use(middleware)` (docs/middleware.md).
 *
 * @module
 */
import type { Promisable, RequestContext } from './context.js'

/** What a middleware returns: nothing, a `Response` that ends the request, or context to add. */
export type MiddlewareResult<TDefine extends object = {}> = void | undefined | Response | { define: TDefine }

/**
 * A middleware. `TContext` is what earlier middleware added; `TDefine` is what this one adds.
 * The same function runs against the WebSocket upgrade request for `route.ws` routes.
 */
export type Middleware<TContext extends object = {}, TDefine extends object = {}> = (
  ctx: RequestContext & TContext,
) => Promisable<MiddlewareResult<TDefine>>

/**
 * Runs `chain` in order against `ctx`, assigning each `define` to it. Returns the `Response` a
 * middleware ended the request with, or `undefined` when every middleware let it through.
 * Errors thrown by a middleware propagate to the caller.
 */
export async function runMiddleware(
  chain: readonly Middleware<any, any>[],
  ctx: RequestContext,
): Promise<Response | undefined> {
  for (const middleware of chain) {
    const result = await middleware(ctx)
    if (result instanceof Response) return result
    if (result && typeof result === 'object' && 'define' in result) {
      for (const [key, value] of Object.entries(result.define)) {
        Object.defineProperty(ctx, key, { value, enumerable: true, configurable: true, writable: true })
      }
    }
  }
  return undefined
}
