/**
 * Turns what a handler returned or threw into a `Response`: JSON values, raw `Response`s passed
 * through, async generators streamed as JSON text sequences (RFC 7464), and errors as JSON bodies.
 *
 * @module
 */
import { JSON_SEQ_TYPE, RECORD_SEPARATOR, type ErrorBody, type StreamErrorRecord } from '../../protocol/http.js'
import { FastResponse } from 'srvx'
import { isPaginationLinks, toPaginationRecord } from '../pagination.js'
import { describeThrown, thrownHttpError, thrownResponse, type ThrownHttpError } from '../thrown.js'

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

/**
 * Converts a thrown value: a `Response` is sent as is, an `HttpError` keeps its status, others are
 * 500. Never throws, whatever was thrown (src/service/thrown.ts reads it).
 */
export function errorToResponse(error: unknown, errors: ErrorOptions, request: Request): Response {
  const response = thrownResponse(error)
  if (response) return response
  const http = thrownHttpError(error)
  if (!http) return unexpectedErrorResponse(error, errors, request)
  try {
    // A `res` the handler built may have immutable headers (from fetch, Response.redirect…).
    return withHeaders(http.res ?? FastResponse.json(httpErrorBody(http), { status: http.status }), http.headers)
  } catch (failure) {
    // Its `data` is not JSON: that is the error to report.
    return unexpectedErrorResponse(failure, errors, request)
  }
}

function unexpectedErrorResponse(error: unknown, errors: ErrorOptions, request: Request): Response {
  errors.onError(error, request)
  if (!errors.debug) return new FastResponse(null, { status: 500 })
  return FastResponse.json(unexpectedErrorBody(error), { status: 500 })
}

function httpErrorBody(error: ThrownHttpError): ErrorBody {
  return error.data === undefined ? { message: error.message } : { message: error.message, data: error.data }
}

function unexpectedErrorBody(error: unknown): ErrorBody {
  const { message, stack } = describeThrown(error)
  return stack === undefined ? { message } : { message, stack }
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
        controller.enqueue(streamErrorRecord(error, errors, request))
        controller.close()
      }
    },
    async cancel() {
      if (finished) return
      try {
        await iterator.return?.()
      } catch (error) {
        // The generator's finally threw after the client went away: nobody to answer, only to report.
        errors.onError(error, request)
      }
    },
  })
  return new FastResponse(body, { status, headers: { 'content-type': JSON_SEQ_TYPE, 'cache-control': 'no-cache' } })
}

/** The final record of a stream whose generator threw, encoded. */
function streamErrorRecord(error: unknown, errors: ErrorOptions, request: Request): Uint8Array {
  const http = thrownHttpError(error)
  if (!http) return unexpectedErrorRecord(error, errors, request)
  try {
    return record({ $error: { ...httpErrorBody(http), status: http.status } } satisfies StreamErrorRecord)
  } catch (failure) {
    // Its `data` is not JSON: that is the error to report.
    return unexpectedErrorRecord(failure, errors, request)
  }
}

function unexpectedErrorRecord(error: unknown, errors: ErrorOptions, request: Request): Uint8Array {
  errors.onError(error, request)
  const body = errors.debug ? unexpectedErrorBody(error) : { message: 'Internal Server Error' }
  return record({ $error: { ...body, status: 500 } } satisfies StreamErrorRecord)
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
