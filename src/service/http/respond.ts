/**
 * Turns what a handler returned or threw into a `Response`: JSON values, raw `Response`s passed
 * through, async generators streamed as JSON text sequences (RFC 7464), and errors as JSON bodies.
 *
 * @module
 */
import { JSON_SEQ_TYPE, RECORD_SEPARATOR, type ErrorBody, type StreamErrorRecord } from '../../protocol/http.js'
import { FastResponse } from 'srvx'
import { HttpError } from '../errors.js'
import { isPaginationLinks, toPaginationRecord } from '../pagination.js'

export interface ErrorOptions {
  /** Include messages and stacks of unexpected errors in 500 bodies. */
  debug: boolean
  /** Called with every unexpected (non-HTTP) error. */
  onError: (error: unknown, request: Request) => void
}

/** Converts a handler's result; `status` applies to JSON and streamed results. */
export async function resultToResponse(result: unknown, status: number, errors: ErrorOptions, request: Request): Promise<Response> {
  if (result instanceof Response) return result
  if (isAsyncIterator(result)) return streamResponse(result, status, errors, request)
  // srvx's FastResponse is a plain Response outside Node; on Node it skips building a web stream.
  if (result === undefined) return new FastResponse(null, { status: status === 200 ? 204 : status })
  return new FastResponse(JSON.stringify(result), { status, headers: { 'content-type': 'application/json' } })
}

/** Converts a thrown value: a `Response` is sent as is, an `HttpError` keeps its status, others are 500. */
export function errorToResponse(error: unknown, errors: ErrorOptions, request: Request): Response {
  if (error instanceof Response) return error
  if (HttpError.is(error)) {
    // A `res` the handler built may have immutable headers (from fetch, Response.redirect…).
    return withHeaders(error.res ?? FastResponse.json(httpErrorBody(error), { status: error.status }), error.headers)
  }
  errors.onError(error, request)
  if (!errors.debug) return new FastResponse(null, { status: 500 })
  return FastResponse.json(unexpectedErrorBody(error), { status: 500 })
}

function httpErrorBody(error: HttpError): ErrorBody {
  return error.data === undefined ? { message: error.message } : { message: error.message, data: error.data }
}

function unexpectedErrorBody(error: unknown): ErrorBody {
  if (error instanceof Error) return { message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
  return { message: `Non-Error thrown: ${String(error)}` }
}

function isAsyncIterator(value: unknown): value is AsyncIterator<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterator<unknown>).next === 'function' && Symbol.asyncIterator in value
}

const encoder = new TextEncoder()
const record = (value: unknown) => encoder.encode(`${RECORD_SEPARATOR}${JSON.stringify(value)}\n`)

/**
 * Streams an async iterator. The first item is awaited before the headers go out, so a handler
 * that throws before yielding still gets a proper error status; later errors become a final
 * `{"$error": …}` record. A client that disconnects stops the generator (`return()` runs its
 * `finally` blocks).
 */
async function streamResponse(iterator: AsyncIterator<unknown>, status: number, errors: ErrorOptions, request: Request): Promise<Response> {
  let first: IteratorResult<unknown>
  try {
    first = await iterator.next()
  } catch (error) {
    return errorToResponse(error, errors, request)
  }
  let pending: IteratorResult<unknown> | undefined = first
  let finished = false
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const step = pending ?? (await iterator.next())
        pending = undefined
        if (!step.done) return controller.enqueue(record(step.value))
        finished = true
        if (isPaginationLinks(step.value)) controller.enqueue(record(toPaginationRecord(step.value)))
        controller.close()
      } catch (error) {
        finished = true
        controller.enqueue(record(streamErrorRecord(error, errors, request)))
        controller.close()
      }
    },
    async cancel() {
      if (!finished) await iterator.return?.()
    },
  })
  return new FastResponse(body, { status, headers: { 'content-type': JSON_SEQ_TYPE, 'cache-control': 'no-cache' } })
}

function streamErrorRecord(error: unknown, errors: ErrorOptions, request: Request): StreamErrorRecord {
  if (HttpError.is(error)) return { $error: { ...httpErrorBody(error), status: error.status } }
  errors.onError(error, request)
  const body = errors.debug ? unexpectedErrorBody(error) : { message: 'Internal Server Error' }
  return { $error: { ...body, status: 500 } }
}

/** Adds `headers` to `response`, copying it first when its headers are immutable. */
export function withHeaders(response: Response, headers: Headers): Response {
  let target = response
  headers.forEach((value, name) => {
    try {
      target.headers.set(name, value)
    } catch {
      target = new Response(target.body, target)
      target.headers.set(name, value)
    }
  })
  return target
}
