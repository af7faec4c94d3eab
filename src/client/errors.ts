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
    const reason = body?.message ?? detail
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

/** An attempt got no response headers within `timeout` seconds (and no retry was left). */
export class TimeoutError extends Error {
  readonly code = 'WIRERPC_ERR_TIMEOUT' as const
  readonly request: Request
  /** The timeout that expired, in seconds. */
  readonly timeout: number

  constructor(request: Request, timeout: number) {
    super(
      `${request.method} ${request.url} timed out: no response within ${timeout} s. ` +
        'Raise the `timeout` option (seconds) if the route is slow, or check that the server is responding.',
    )
    this.name = 'TimeoutError'
    this.request = request
    this.timeout = timeout
  }
}

/**
 * `fetch` itself failed: connection refused, DNS failure, connection reset, CORS refusal. The
 * underlying error is in `cause`.
 */
export class NetworkError extends Error {
  readonly code = 'WIRERPC_ERR_NETWORK' as const
  readonly request: Request

  constructor(request: Request, cause: unknown) {
    const reason = describeCause(cause)
    super(
      `${request.method} ${request.url} failed before any response${reason ? ` (${reason})` : ''}. ` +
        'Check that `prefixUrl` points at the server and that the server is running and reachable.',
      { cause },
    )
    this.name = 'NetworkError'
    this.request = request
  }
}

/** The errors the client itself raises; `beforeError` hooks receive and return these. */
export type ClientError = HTTPError | TimeoutError | NetworkError

// fetch implementations wrap the useful part ("ECONNREFUSED 127.0.0.1:1") in `cause`.
function describeCause(cause: unknown): string {
  const parts: string[] = []
  for (let error = cause, depth = 0; error instanceof Error && depth < 3; error = error.cause, depth++) {
    const code = (error as { code?: unknown }).code
    parts.push(typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message)
  }
  return parts.filter(Boolean).join(': ')
}
