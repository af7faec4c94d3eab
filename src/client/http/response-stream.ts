/**
 * The result of a `json-seq` route: an async iterator over the items a server generator yields,
 * with the pagination links of its final record (docs/client.md, "Streams and pagination").
 *
 * @module
 */
import { isPaginationRecord, isStreamErrorRecord, JSON_SEQ_TYPE, type PaginationRecord } from '../../protocol/http.js'
import { HTTPError } from '../errors.js'
import { mergeOptions, type RequestOptions } from '../options.js'
import { readJsonSeq } from './json-seq.js'
import { applyBeforeError, send, type HttpCall } from './request.js'

/**
 * Items of a streamed route, read as they arrive. Nothing is requested until the first `next()`
 * (the first iteration of `for await`). Leaving `for await` early cancels the response, which
 * stops the generator on the server.
 */
export interface ResponseStream<T> extends AsyncIterableIterator<T, undefined, undefined> {
  [Symbol.asyncIterator](): ResponseStream<T>
  next(): Promise<IteratorResult<T, undefined>>
  /** Stops reading and cancels the response. */
  return(): Promise<IteratorResult<T, undefined>>
  /** Reads the rest of the stream into an array. */
  toArray(): Promise<T[]>
  /**
   * A stream of the next page (the `$next` link of the final pagination record, resolved against
   * `prefixUrl`), or `null` when there is none. `options` apply on top of this call's options.
   * Throws when this stream has not been read to the end.
   */
  nextPage(options?: RequestOptions): ResponseStream<T> | null
  /** Like `nextPage()`, for the `$prev` link. */
  previousPage(options?: RequestOptions): ResponseStream<T> | null
}

/**
 * Opens the stream of a call, lazily: `prepare` runs and the request goes out on the first
 * `next()`, so that even a bad argument surfaces from the iterator, like every other failure.
 */
export function openResponseStream<T>(prepare: () => HttpCall): ResponseStream<T> {
  return new JsonSeqResponseStream<T>(prepare)
}

const NO_LINKS: PaginationRecord = Object.freeze({ $prev: null, $next: null })

class JsonSeqResponseStream<T> implements ResponseStream<T> {
  readonly #prepare: () => HttpCall
  #call: HttpCall | undefined
  /** Aborts the response being read; set once the request has been answered. */
  #abort: (() => void) | undefined
  readonly #items: AsyncGenerator<T, undefined, undefined>
  /** The final pagination record; `undefined` until the stream has been read to its end. */
  #links: PaginationRecord | undefined

  constructor(prepare: () => HttpCall) {
    this.#prepare = prepare
    // A generator runs nothing until its first next(), and queues concurrent next() calls.
    this.#items = this.#read()
  }

  [Symbol.asyncIterator](): ResponseStream<T> {
    return this
  }

  next(): Promise<IteratorResult<T, undefined>> {
    return this.#items.next()
  }

  return(): Promise<IteratorResult<T, undefined>> {
    // A generator queues return() behind a pending next(); aborting first means a read stuck on
    // a silent server fails at once instead of holding return() back.
    this.#abort?.()
    return this.#items.return(undefined)
  }

  async toArray(): Promise<T[]> {
    const items: T[] = []
    for (let step = await this.next(); !step.done; step = await this.next()) items.push(step.value)
    return items
  }

  nextPage(options?: RequestOptions): ResponseStream<T> | null {
    const { links, call } = this.#linksFor('nextPage')
    return pageStream<T>(call, links.$next, options)
  }

  previousPage(options?: RequestOptions): ResponseStream<T> | null {
    const { links, call } = this.#linksFor('previousPage')
    return pageStream<T>(call, links.$prev, options)
  }

  #linksFor(method: string): { links: PaginationRecord; call: HttpCall } {
    if (!this.#links || !this.#call) {
      throw new Error(`${method}() needs the pagination links at the end of the stream: read this stream to its end first (for await, or toArray()).`)
    }
    return { links: this.#links, call: this.#call }
  }

  async *#read(): AsyncGenerator<T, undefined, undefined> {
    const call = (this.#call = this.#prepare())
    const { request, response, release, abort } = await send(call)
    let complete = false
    this.#abort = () => {
      if (!complete) abort()
    }
    try {
      const type = response.headers.get('content-type') ?? ''
      if (!type.toLowerCase().startsWith(JSON_SEQ_TYPE)) {
        throw new TypeError(
          `${request.method} ${request.url} answered with content type "${type}" where a JSON text sequence ("${JSON_SEQ_TYPE}") was expected: the client manifest may be out of date with the server.`,
        )
      }
      let links: PaginationRecord | undefined
      if (response.body) {
        for await (const value of readJsonSeq(response.body)) {
          if (isStreamErrorRecord(value)) {
            const { status, ...body } = value.$error
            throw await applyBeforeError(new HTTPError(request, response, body, status), call.options.hooks.beforeError)
          }
          if (isPaginationRecord(value)) links = value
          else yield value as T
        }
      }
      complete = true
      this.#links = links ?? NO_LINKS
      return undefined
    } finally {
      // Stopped early (break, error): make sure the connection goes, so the server stops too.
      if (!complete) abort()
      release()
    }
  }
}

function pageStream<T>(call: HttpCall, link: string | null, options: RequestOptions | undefined): ResponseStream<T> | null {
  if (link === null) return null
  // Links are relative to the prefix URL the first page came from.
  return openResponseStream<T>(() => ({
    method: 'GET',
    prefixUrl: call.prefixUrl,
    path: link,
    body: undefined,
    contentType: undefined,
    options: options ? mergeOptions(call.options, options) : call.options,
  }))
}
