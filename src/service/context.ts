/**
 * The context object every HTTP handler and middleware receives as its last argument.
 *
 * @module
 */

export type Promisable<T> = T | Promise<T>

/** Runs after a response is built (for errors too); may return a replacement `Response`. */
export type ResponseHook = (response: Response) => Promisable<Response | void>

export interface RequestContext {
  /** The incoming request (its body may already be consumed by the route's data). */
  readonly request: Request
  /** The parsed request URL. */
  readonly url: URL
  /** The client's IP address as the server adapter reports it; `''` when unknown. */
  readonly ip: string
  /** Aborted when the client goes away or the server shuts down. */
  readonly signal: AbortSignal
  /**
   * Status and headers the response will get. Headers set here are added to every response of
   * this request, errors included; `status` applies to JSON and streamed results.
   */
  readonly response: { status: number; readonly headers: Headers }
  /** Registers `hook` to run once the response is built, in registration order. */
  onResponse(hook: ResponseHook): void
}

/** @internal The mutable side of a context, kept by the request pipeline. */
export interface ContextState {
  readonly context: RequestContext
  readonly responseHooks: ResponseHook[]
  /** The headers set through `ctx.response.headers`, or `undefined` when none were touched. */
  responseHeaders(): Headers | undefined
}

/** @internal Builds a context; the signal and the headers are created only when first read. */
export function createContext(request: Request, url: URL, ip: string): ContextState {
  const responseHooks: ResponseHook[] = []
  let headers: Headers | undefined
  const context: RequestContext = {
    request,
    url,
    ip,
    // Reading `request.signal` makes some adapters (srvx on Node) build an AbortController.
    get signal() {
      return request.signal
    },
    response: {
      status: 200,
      get headers() {
        return (headers ??= new Headers())
      },
    },
    onResponse: (hook) => void responseHooks.push(hook),
  }
  return { context, responseHooks, responseHeaders: () => headers }
}
