/**
 * What can safely be said of a value that user code threw. Anything can be thrown: `null`, a
 * symbol, an object without a prototype, one whose getters or `toString` throw, a revoked Proxy.
 * `String(value)`, `value.message` or `value instanceof Response` may throw on such a value, so
 * the error paths read thrown values only through these functions, which never throw and never
 * convert an object to a string (docs/decisions.md, "Thrown values").
 *
 * @module
 */
import { HttpError } from './errors.js'
import { ResyncRequiredError } from './pubsub/pubsub.js'

/** A thrown value, described. */
export interface ThrownFacts {
  /** The error's name (`TypeError`…); for any other value, its type (`string`, `null`, `symbol`, `object`…). */
  readonly name: string
  /**
   * The error's message (`''` when it has none that can be read); for any other value
   * `Non-Error thrown: ` and what it is (`Non-Error thrown: null`, `… an object with no prototype`).
   */
  readonly message: string
  /** The error's stack, when it has one that can be read. */
  readonly stack: string | undefined
}

/**
 * Describes `value`. An `Error`, or any object whose `message` is a string (an error of another
 * realm), keeps its name, message and stack; other values are described by their type, and a
 * string by its text. No object's `toString`, `valueOf` or `Symbol.toPrimitive` is called.
 */
export function describeThrown(value: unknown): ThrownFacts {
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    const message = read(value, 'message')
    if (attempt(() => value instanceof Error, false) || typeof message === 'string') {
      const name = read(value, 'name')
      const stack = read(value, 'stack')
      return {
        name: typeof name === 'string' && name !== '' ? name : 'Error',
        message: typeof message === 'string' ? message : '',
        stack: typeof stack === 'string' && stack !== '' ? stack : undefined,
      }
    }
  }
  const type = value === null ? 'null' : typeof value
  return { name: type, message: `Non-Error thrown: ${attempt(() => what(value), `a value of type ${type}`)}`, stack: undefined }
}

/** What an `HttpError` thrown says, each field checked. */
export interface ThrownHttpError {
  readonly status: number
  readonly message: string
  readonly data: unknown
  /** A copy: reading it again runs no code of the thrower's. */
  readonly headers: Headers
  readonly res: Response | undefined
}

/**
 * The fields of an `HttpError` (of any copy of the package), or `undefined` for anything else. An
 * object that passes `HttpError.is` but whose fields cannot be read, or do not hold a status from
 * 200 to 599 and a string message, is no HTTP error: it is answered as an unexpected error.
 */
export function thrownHttpError(value: unknown): ThrownHttpError | undefined {
  if (!HttpError.is(value)) return undefined
  return attempt(() => {
    const { status, message, data, headers, res } = value
    if (!Number.isInteger(status) || status < 200 || status > 599 || typeof message !== 'string') return undefined
    const response = res === undefined ? undefined : thrownResponse(res)
    if (res !== undefined && !response) return undefined
    return { status, message, data, headers: new Headers(headers ?? undefined), res: response }
  }, undefined)
}

/** `value` when it is a real `Response` (its status readable), else `undefined`. */
export function thrownResponse(value: unknown): Response | undefined {
  // Response's own getter checks that it was given a real Response (a look-alike made with
  // Object.create(Response.prototype) throws).
  return attempt(() => (value instanceof Response && typeof value.status === 'number' ? value : undefined), undefined)
}

/** The fields of a `ResyncRequiredError` (of any copy of the package), or `undefined` for anything else. */
export function thrownResync(value: unknown): { message: string; lastEventId: string } | undefined {
  if (!ResyncRequiredError.is(value)) return undefined
  return attempt(() => {
    const { message, lastEventId } = value
    return typeof message === 'string' && typeof lastEventId === 'string' ? { message, lastEventId } : undefined
  }, undefined)
}

/** A value that is not an Error, in a few words; strings, numbers and symbols as themselves. */
function what(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value === '' ? 'an empty string' : value
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'symbol':
    case 'undefined':
      return String(value)
    case 'function': {
      const name = read(value, 'name')
      return typeof name === 'string' && name !== '' ? `a function (${name})` : 'a function'
    }
  }
  if (value === null) return 'null'
  const prototype = attempt(() => Object.getPrototypeOf(value) as object | null, undefined)
  if (prototype === undefined) return 'an object that cannot be read'
  if (prototype === null) return 'an object with no prototype'
  const constructor = read(prototype, 'constructor')
  const name = typeof constructor === 'function' ? read(constructor, 'name') : undefined
  return typeof name === 'string' && name !== '' && name !== 'Object' ? `an object of class ${name}` : 'an object'
}

/** `value[key]`, or `undefined` when reading it throws (a getter, a Proxy trap, a revoked Proxy). */
function read(value: object, key: string): unknown {
  return attempt(() => (value as Record<string, unknown>)[key], undefined)
}

/** `run()`, or `fallback` when it throws. */
function attempt<T>(run: () => T, fallback: T): T {
  try {
    return run()
  } catch {
    return fallback
  }
}
