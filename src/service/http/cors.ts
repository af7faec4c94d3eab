/**
 * CORS for cross-origin browser clients (docs/routes.md, "CORS"). Without a `cors` option no CORS
 * headers are sent, so browsers allow same-origin calls only.
 *
 * @module
 */

export interface CorsOptions {
  /**
   * Origins allowed to call the API: exact origins (`https://app.example.com`), `'*'` for any, or a
   * function deciding per origin. A refused preflight gets 403; a refused actual request is
   * answered without CORS headers, so the browser withholds the response.
   */
  origin: '*' | readonly string[] | ((origin: string) => boolean)
  /** Allow cookies and `Authorization` across origins (the origin is echoed, never `*`). @default false */
  credentials?: boolean
  /** Request headers a preflight may ask for. @default the headers the preflight asks for */
  allowHeaders?: readonly string[]
  /** Response headers the browser lets scripts read. @default [] */
  exposeHeaders?: readonly string[]
  /** How long (seconds) a browser may cache a preflight answer. @default 600 */
  maxAge?: number
}

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE'

export interface Cors {
  /** Answers a preflight request, or returns `undefined` when `request` is not one. */
  preflight(request: Request): Response | undefined
  /** Adds the CORS headers that `request`'s origin earns to `headers`. */
  apply(request: Request, headers: Headers): void
}

export function createCors(options: CorsOptions): Cors {
  const { origin, credentials = false, allowHeaders, exposeHeaders = [], maxAge = 600 } = options
  const allowed = typeof origin === 'function' ? origin : origin === '*' ? () => true : (value: string) => origin.includes(value)

  function allowOrigin(request: Request, headers: Headers): boolean {
    const requestOrigin = request.headers.get('origin')
    if (!requestOrigin || !allowed(requestOrigin)) return false
    headers.set('access-control-allow-origin', origin === '*' && !credentials ? '*' : requestOrigin)
    if (origin !== '*' || credentials) headers.append('vary', 'Origin')
    if (credentials) headers.set('access-control-allow-credentials', 'true')
    return true
  }

  return {
    preflight(request) {
      if (request.method !== 'OPTIONS' || !request.headers.has('access-control-request-method')) return undefined
      const headers = new Headers()
      if (!allowOrigin(request, headers)) {
        return Response.json(
          { message: `Origin ${JSON.stringify(request.headers.get('origin'))} is not allowed by this API's CORS policy; add it to cors.origin on the server.` },
          { status: 403 },
        )
      }
      headers.set('access-control-allow-methods', ALLOWED_METHODS)
      const requested = request.headers.get('access-control-request-headers')
      const allowHeaderList = allowHeaders ? allowHeaders.join(', ') : requested
      if (allowHeaderList) headers.set('access-control-allow-headers', allowHeaderList)
      headers.set('access-control-max-age', String(maxAge))
      return new Response(null, { status: 204, headers })
    },
    apply(request, headers) {
      if (allowOrigin(request, headers) && exposeHeaders.length > 0) {
        headers.set('access-control-expose-headers', exposeHeaders.join(', '))
      }
    },
  }
}
