/**
 * HTTP wire details shared by the server and the client (docs/protocol-http.md).
 *
 * @module
 */

/** Media type of streamed results: a JSON text sequence (RFC 7464). */
export const JSON_SEQ_TYPE = 'application/json-seq'

/** Record separator that starts every JSON text sequence record. */
export const RECORD_SEPARATOR = '\u001e'

/**
 * The JSON body of every error response the framework writes (4xx from validation, routing and
 * thrown HTTP errors; 500 outside production).
 */
export interface ErrorBody {
  /** What went wrong and, where it helps, what to do. */
  message: string
  /** JSON pointer of the first bad value (`/filter/limit`), for validation errors. */
  path?: string
  /** The bad value itself, for validation errors, when it is short enough to echo. */
  value?: unknown
  /** Where the bad value came from: `path`, `query` or `body`. */
  in?: 'path' | 'query' | 'body'
  /** Extra data a handler attached to a thrown HTTP error. */
  data?: unknown
  /** Stack trace of an unexpected error (never in production). */
  stack?: string
}

/**
 * Last record of a paginated stream: links relative to the API prefix, or `null` when there is
 * no such page.
 */
export interface PaginationRecord {
  $prev: string | null
  $next: string | null
}

/** Record sent in place of further items when a streaming handler throws. */
export interface StreamErrorRecord {
  $error: ErrorBody & { status: number }
}

export function isPaginationRecord(value: unknown): value is PaginationRecord {
  return typeof value === 'object' && value !== null && '$next' in value && '$prev' in value && Object.keys(value).length === 2
}

export function isStreamErrorRecord(value: unknown): value is StreamErrorRecord {
  return typeof value === 'object' && value !== null && '$error' in value && Object.keys(value).length === 1
}
