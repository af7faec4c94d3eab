/**
 * Throwable HTTP errors. Throw one from a handler or a middleware and the client receives its
 * status, its headers and a JSON body `{ message, data? }` (docs/errors.md).
 *
 * @module
 */

/** Options of every HTTP error constructor. */
export interface HttpErrorOptions {
  /** Sent as `message` in the JSON body. Defaults to the status text (`Not Found`). */
  message?: string
  /** Response headers, such as `Retry-After` or `WWW-Authenticate`. */
  headers?: HeadersInit
  /** Any JSON value, sent as `data` in the body for the client to act on. */
  data?: unknown
  /** Sent as is instead of the JSON body; status and headers come from it. */
  res?: Response
  /** The underlying error, kept for logs; never sent. */
  cause?: unknown
}

const kHttpError = Symbol.for('wirerpc.HttpError')

/**
 * Base class of the throwable HTTP errors. `code` is `WIRERPC_ERR_HTTP` for all of them; branch on
 * `status`.
 */
export class HttpError extends Error {
  readonly code = 'WIRERPC_ERR_HTTP'
  readonly status: number
  readonly headers: Headers
  readonly data: unknown
  readonly res: Response | undefined

  constructor(status: number, messageOrOptions?: string | HttpErrorOptions) {
    const options = typeof messageOrOptions === 'string' ? { message: messageOrOptions } : (messageOrOptions ?? {})
    super(options.message ?? STATUS_TEXT[status] ?? `HTTP ${status}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HttpError'
    this.status = status
    this.headers = new Headers(options.headers)
    this.data = options.data
    this.res = options.res
    Object.defineProperty(this, kHttpError, { value: true })
  }

  /**
   * True for HTTP errors from any copy of this package (checks a symbol, not `instanceof`). Never
   * throws: a value whose symbol cannot be read (a revoked Proxy) is no HTTP error.
   */
  static is(error: unknown): error is HttpError {
    try {
      return typeof error === 'object' && error !== null && (error as any)[kHttpError] === true
    } catch {
      return false
    }
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

function defineError(status: number, name: string) {
  const ErrorClass = class extends HttpError {
    constructor(messageOrOptions?: string | HttpErrorOptions) {
      super(status, messageOrOptions)
      this.name = name
    }
  }
  Object.defineProperty(ErrorClass, 'name', { value: name })
  return ErrorClass
}

/** 400: the request is malformed. */
export const BadRequestError = defineError(400, 'BadRequestError')
/** 401: the caller is not authenticated; set `WWW-Authenticate` in `headers` where it applies. */
export const UnauthorizedError = defineError(401, 'UnauthorizedError')
/** 403: the caller is authenticated but not allowed. */
export const ForbiddenError = defineError(403, 'ForbiddenError')
/** 404: the resource does not exist. */
export const NotFoundError = defineError(404, 'NotFoundError')
/** 405: the method is not allowed on this resource. */
export const MethodNotAllowedError = defineError(405, 'MethodNotAllowedError')
/** 409: the request conflicts with the current state. */
export const ConflictError = defineError(409, 'ConflictError')
/** 410: the resource existed and is gone for good. */
export const GoneError = defineError(410, 'GoneError')
/** 412: a precondition header did not hold. */
export const PreconditionFailedError = defineError(412, 'PreconditionFailedError')
/** 413: the body is larger than allowed. */
export const PayloadTooLargeError = defineError(413, 'PayloadTooLargeError')
/** 415: the body's content type is not accepted. */
export const UnsupportedMediaTypeError = defineError(415, 'UnsupportedMediaTypeError')
/** 422: the body is well-formed but semantically wrong. */
export const UnprocessableContentError = defineError(422, 'UnprocessableContentError')
/** 428: the request must be conditional. */
export const PreconditionRequiredError = defineError(428, 'PreconditionRequiredError')
/** 429: too many requests; set `Retry-After` (seconds) in `headers` so clients back off. */
export const TooManyRequestsError = defineError(429, 'TooManyRequestsError')
/** 500: the server failed; prefer letting unexpected errors throw, which also answers 500. */
export const InternalServerError = defineError(500, 'InternalServerError')
/** 501: not implemented. */
export const NotImplementedError = defineError(501, 'NotImplementedError')
/** 503: temporarily unavailable; set `Retry-After` (seconds) so clients retry later. */
export const ServiceUnavailableError = defineError(503, 'ServiceUnavailableError')

/**
 * A `Response` with a JSON body. Return it to choose the status and headers of a JSON result, or
 * throw it to end the request from anywhere with that response.
 */
export class JSONResponse extends Response {
  constructor(body: unknown, init: ResponseInit = {}) {
    const headers = new Headers(init.headers)
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
    super(JSON.stringify(body ?? null), { ...init, headers })
  }
}

export type BadRequestError = InstanceType<typeof BadRequestError>
export type UnauthorizedError = InstanceType<typeof UnauthorizedError>
export type ForbiddenError = InstanceType<typeof ForbiddenError>
export type NotFoundError = InstanceType<typeof NotFoundError>
export type MethodNotAllowedError = InstanceType<typeof MethodNotAllowedError>
export type ConflictError = InstanceType<typeof ConflictError>
export type GoneError = InstanceType<typeof GoneError>
export type PreconditionFailedError = InstanceType<typeof PreconditionFailedError>
export type PayloadTooLargeError = InstanceType<typeof PayloadTooLargeError>
export type UnsupportedMediaTypeError = InstanceType<typeof UnsupportedMediaTypeError>
export type UnprocessableContentError = InstanceType<typeof UnprocessableContentError>
export type PreconditionRequiredError = InstanceType<typeof PreconditionRequiredError>
export type TooManyRequestsError = InstanceType<typeof TooManyRequestsError>
export type InternalServerError = InstanceType<typeof InternalServerError>
export type NotImplementedError = InstanceType<typeof NotImplementedError>
export type ServiceUnavailableError = InstanceType<typeof ServiceUnavailableError>
