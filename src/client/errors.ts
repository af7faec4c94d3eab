/**
 * The errors a client call rejects with. Each carries a stable `code` to branch on (the classes
 * also work with `instanceof`), and the `Request` it was about (docs/client.md, "Errors").
 *
 * @module
 */
import type { ErrorBody } from '../protocol/http.js'

/** Longest piece of a non-JSON error body quoted in an `HTTPError` message. */
const MAX_QUOTED_TEXT = 200

/**
 * The server answered with a non-2xx status (after any retries), or a stream ended with an
 * `{"$error": …}` record. `body` is the server's JSON error body when it sent one.
 */
export class HTTPError extends Error {
  readonly code = 'WIRERPC_ERR_HTTP' as const
  /** The HTTP status (for a stream error record: the status the record carries). */
  readonly status: number
  /**
   * The server's parsed JSON error body `{ message, path?, value?, in?, data? }`, or `undefined`
   * when the body was empty or not JSON. The response body itself has already been read.
   */
  readonly body: ErrorBody | undefined
  readonly response: Response
  readonly request: Request

  constructor(request: Request, response: Response, body?: ErrorBody, status = response.status, detail?: string) {
    // The body is the server's: its `message` is quoted only when it is a string.
    const reason = typeof body?.message === 'string' ? body.message : detail
    const statusText = status === response.status && response.statusText ? ` ${response.statusText}` : ''
    super(`${request.method} ${request.url} failed with status ${status}${statusText}${reason ? `: ${reason}` : ''}`)
    this.name = 'HTTPError'
    this.status = status
    this.body = body
    this.response = response
    this.request = request
  }

  /** Reads the error body of `response` (JSON when it says so) and builds the error. */
  static async from(request: Request, response: Response): Promise<HTTPError> {
    let text = ''
    try {
      text = await response.text()
    } catch {
      // The body broke off; the status alone still tells what happened.
    }
    const type = response.headers.get('content-type') ?? ''
    if (text !== '' && /\bjson\b/i.test(type)) {
      try {
        const parsed: unknown = JSON.parse(text)
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          return new HTTPError(request, response, parsed as ErrorBody)
        }
      } catch {
        // Not JSON after all: quote it below.
      }
    }
    const quoted = text.length > MAX_QUOTED_TEXT ? `${text.slice(0, MAX_QUOTED_TEXT)}…` : text
    return new HTTPError(request, response, undefined, response.status, quoted.trim() || undefined)
  }
}

/**
 * An HTTP attempt got no response headers within `timeout` seconds (and no retry was left), or a
 * WebSocket request got no answer within `timeout` seconds (the server was sent `$/cancel`).
 */
export class TimeoutError extends Error {
  readonly code = 'WIRERPC_ERR_TIMEOUT' as const
  /** The HTTP request; `undefined` for a WebSocket call. */
  readonly request: Request | undefined
  /** The WebSocket route (method) called; `undefined` for an HTTP call. */
  readonly method: string | undefined
  /** The timeout that expired, in seconds. */
  readonly timeout: number

  constructor(target: Request | WsTarget, timeout: number) {
    super(
      `${describeTarget(target)} timed out: no response within ${timeout} s. ` +
        'Raise the `timeout` option (seconds) if the route is slow, or check that the server is responding.',
    )
    this.name = 'TimeoutError'
    this.request = target instanceof Request ? target : undefined
    this.method = target instanceof Request ? undefined : target.method
    this.timeout = timeout
  }
}

/**
 * The call never got an answer because of the network: for HTTP, `fetch` itself failed (connection
 * refused, DNS failure, reset, CORS refusal); for WebSocket calls, the connection could not be
 * opened within the retry policy, or it closed before the answer came. The underlying error, when
 * there is one, is in `cause`.
 */
export class NetworkError extends Error {
  readonly code = 'WIRERPC_ERR_NETWORK' as const
  /** The HTTP request; `undefined` for a WebSocket call. */
  readonly request: Request | undefined
  /** The WebSocket route (method) called; `undefined` for an HTTP call. */
  readonly method: string | undefined

  constructor(target: Request | WsTarget, cause: unknown, detail?: string) {
    const reason = describeCause(cause)
    const advice =
      detail ??
      (target instanceof Request
        ? 'Check that `prefixUrl` points at the server and that the server is running and reachable.'
        : 'Check that `prefixUrl` points at the server (its WebSocket endpoint is `<prefixUrl>ws`) and that the server is running and reachable.')
    super(`${describeTarget(target)} failed before any response${reason ? ` (${reason})` : ''}. ${advice}`, { cause })
    this.name = 'NetworkError'
    this.request = target instanceof Request ? target : undefined
    this.method = target instanceof Request ? undefined : target.method
  }
}

/**
 * The server answered a WebSocket call with a JSON-RPC error: `code` is the JSON-RPC code
 * (`-32602` invalid params, `-32800` cancelled, `-32001` server shutting down, …) or the HTTP
 * status an `HttpError` thrown by the handler carried (401, 404, 409, 429, …); see
 * docs/protocol.md, "Error codes".
 */
export class WsRequestError extends Error {
  readonly code: number
  /** The error's `data` as the server sent it (`{ path, value? }` for invalid params). */
  readonly data: unknown
  /** The WebSocket route (method) called. */
  readonly method: string

  constructor(method: string, error: { code: number; message: string; data?: unknown }) {
    super(`WebSocket call "${method}" failed with code ${error.code}: ${error.message}`)
    this.name = 'WsRequestError'
    this.code = error.code
    this.data = error.data
    this.method = method
  }
}

/**
 * A subscription was resumed after a reconnect from an event the server's source no longer holds
 * (code `-32002`): events would be missing. Reload the current state (over HTTP, say), then
 * subscribe again; `lastEventId` is where the client stood.
 */
export class ResyncRequiredError extends WsRequestError {
  readonly lastEventId: string | undefined

  constructor(method: string, error: { code: number; message: string; data?: unknown }) {
    super(method, error)
    this.name = 'ResyncRequiredError'
    const data = error.data as { lastEventId?: unknown } | undefined
    this.lastEventId = typeof data?.lastEventId === 'string' ? data.lastEventId : undefined
  }
}

/**
 * The server sent a subscription more unread items than its flow-control window (`wsWindow`):
 * a server that does not support `$/credit`, or one that ignores it. The client ended the
 * subscription (sending `$/cancel`) instead of buffering without bound. Read faster, raise the
 * window, or do the slow work outside the `for await` loop.
 */
export class BufferOverflowError extends Error {
  readonly code = 'WIRERPC_ERR_BUFFER_OVERFLOW' as const
  readonly method: string
  /** The limit that was reached, in items. */
  readonly limit: number

  constructor(method: string, limit: number) {
    super(
      `Subscription "${method}" was cancelled: the server sent more than its window of ${limit} unread items (\`wsWindow\`), so it does not apply flow control. ` +
        'Consume items faster, move slow work out of the `for await` loop, or raise the window.',
    )
    this.name = 'BufferOverflowError'
    this.method = method
    this.limit = limit
  }
}

/** What a WebSocket error is about: the route called. */
export interface WsTarget {
  readonly method: string
}

/** The errors the client itself raises; `beforeError` hooks receive and return these. */
export type ClientError = HTTPError | TimeoutError | NetworkError | WsRequestError | ResyncRequiredError | BufferOverflowError

function describeTarget(target: Request | WsTarget): string {
  return target instanceof Request ? `${target.method} ${target.url}` : `WebSocket call "${target.method}"`
}

// fetch implementations wrap the useful part ("ECONNREFUSED 127.0.0.1:1") in `cause`.
function describeCause(cause: unknown): string {
  const parts: string[] = []
  for (let error = cause, depth = 0; error instanceof Error && depth < 3; error = error.cause, depth++) {
    const code = (error as { code?: unknown }).code
    parts.push(typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message)
  }
  return parts.filter(Boolean).join(': ')
}
