/**
 * Client options: what `defineClient(routes, options)`, `client.extend(options)` and each call's
 * `options` accept, and how the layers merge (docs/client.md, "Options").
 *
 * Every duration is in seconds; fractions are allowed.
 *
 * @module
 */
import type { ClientError } from './errors.js'
import { checkWsOptions, WS_DEFAULTS, type WsClientOptions } from './ws/options.js'

type Promisable<T> = T | Promise<T>

/**
 * How a failed call surfaces:
 * - `reject`: the promise rejects with the error;
 * - `return`: the promise resolves to `[error, undefined]` or `[undefined, result]`.
 */
export type ErrorMode = 'reject' | 'return'

/** Header values; in the object form, `undefined` removes a header an outer layer set. */
export type HeadersValue = HeadersInit | Record<string, string | undefined>

/** Headers, or a function returning them (called once per call, so it can read a fresh token). */
export type HeadersOption = HeadersValue | (() => Promisable<HeadersValue>)

/** A `fetch`-compatible function. The client calls it with a single `Request`. */
export type FetchFunction = (input: Request, init?: RequestInit) => Promise<Response>

export interface RetryOptions {
  /** Most retries after the first attempt; 0 disables retrying. @default 2 */
  limit?: number
  /** Methods that are retried. POST and PATCH are not idempotent, hence not retried by default. @default ['GET', 'PUT', 'HEAD', 'DELETE', 'OPTIONS'] */
  methods?: readonly string[]
  /** Response statuses that are retried. @default [408, 413, 429, 500, 502, 503, 504] */
  statusCodes?: readonly number[]
  /**
   * Longest `Retry-After` (seconds) the client is willing to wait; when a 413, 429 or 503 asks
   * for longer, the call gives up with the `HTTPError` rather than retry early.
   * @default Infinity
   */
  maxRetryAfter?: number
  /**
   * Cap (seconds) of the exponential backoff between retries: attempt `n` waits a random time
   * between 0 and `min(backoffLimit, 0.3 * 2 ** n)` ("full jitter").
   * @default 30
   */
  backoffLimit?: number
}

/** What hooks receive as `options`: the settings of this attempt, normalized. */
export interface HookOptions {
  /** The resolved prefix URL, ending with `/`. */
  readonly prefixUrl: string
  /** The effective retry policy. */
  readonly retry: Readonly<Required<RetryOptions>>
  /** Timeout of each attempt in seconds, or `false`. */
  readonly timeout: number | false
  /** The call's own `signal`, if it passed one. */
  readonly signal: AbortSignal | undefined
  /** 0 for the first attempt, 1 for the first retry, and so on. */
  readonly retryCount: number
}

/**
 * Runs before every attempt (retries included). Return a `Request` to send that instead, or a
 * `Response` to skip the network and use it as the response.
 */
export type BeforeRequestHook = (request: Request, options: HookOptions) => Promisable<Request | Response | void>

/** Runs on every response (before the status is checked, so it sees 4xx/5xx); may return a replacement. */
export type AfterResponseHook = (request: Request, options: HookOptions, response: Response) => Promisable<Response | void>

/** Runs on the error a call is about to reject with (`HTTPError`, `TimeoutError`, `NetworkError`); returns the error to use. */
export type BeforeErrorHook = (error: ClientError) => Promisable<ClientError>

/** Lifecycle hooks, each run in order. Hooks of outer layers (client, `extend`) run before those of inner ones (the call). */
export interface Hooks {
  /** @default [] */
  beforeRequest?: BeforeRequestHook[]
  /** @default [] */
  afterResponse?: AfterResponseHook[]
  /** @default [] */
  beforeError?: BeforeErrorHook[]
}

/** Options of one call (its last argument); each overrides the client's. */
export interface RequestOptions {
  /**
   * Base URL of the API; routes resolve against it. `http(s)://…`, `ws(s)://…` (mapped to
   * `http(s)://`), or relative such as `/api/`, resolved against `location.href` (browsers only).
   * A trailing `/` is added when missing.
   * @default '/'
   */
  prefixUrl?: string | URL
  /** Request headers. Layers merge by header name; the innermost layer wins. @default undefined */
  headers?: HeadersOption
  /**
   * Retry policy, or just its `limit`. Retries apply to the listed methods and statuses, to
   * network errors and to timeouts; a `ReadableStream` body is never retried.
   * @default { limit: 2, methods: ['GET', 'PUT', 'HEAD', 'DELETE', 'OPTIONS'], statusCodes: [408, 413, 429, 500, 502, 503, 504], maxRetryAfter: Infinity, backoffLimit: 30 }
   */
  retry?: number | RetryOptions
  /**
   * Seconds each attempt may wait for the response headers before it is aborted (a streamed
   * body may take longer); `false` waits forever.
   * @default 60
   */
  timeout?: number | false
  /** Aborts the call (every attempt, the waits between them, and the reading of the body). @default undefined */
  signal?: AbortSignal
  /** Lifecycle hooks; they add to the client's rather than replace them. @default {} */
  hooks?: Hooks
  /** The `fetch` to use. @default globalThis.fetch */
  fetch?: FetchFunction
}

/** Options of `defineClient` and `client.extend`. */
export interface ClientOptions<TErrorMode extends ErrorMode = ErrorMode> extends Omit<RequestOptions, 'signal'>, WsClientOptions {
  /** How failed calls surface (streams and subscriptions always throw from their iterator). @default 'reject' */
  errorMode?: TErrorMode
}

export const DEFAULT_TIMEOUT = 60

export const DEFAULT_RETRY: Readonly<Required<RetryOptions>> = Object.freeze({
  limit: 2,
  methods: Object.freeze(['GET', 'PUT', 'HEAD', 'DELETE', 'OPTIONS']),
  statusCodes: Object.freeze([408, 413, 429, 500, 502, 503, 504]),
  maxRetryAfter: Infinity,
  backoffLimit: 30,
})

/** @internal All layers of options folded into one; `headers` keeps every layer, applied in order. */
export interface MergedOptions {
  readonly prefixUrl: string | URL | undefined
  readonly headers: readonly HeadersOption[]
  readonly retry: RetryOptions
  readonly timeout: number | false
  readonly signal: AbortSignal | undefined
  readonly hooks: Readonly<Required<Hooks>>
  readonly fetch: FetchFunction | undefined
  readonly errorMode: ErrorMode
  readonly ws: Readonly<Required<Omit<WsClientOptions, 'wsParams' | 'WebSocket'>>> & Pick<WsClientOptions, 'wsParams' | 'WebSocket'>
}

export const EMPTY_OPTIONS: MergedOptions = Object.freeze({
  prefixUrl: undefined,
  headers: [],
  retry: {},
  timeout: DEFAULT_TIMEOUT,
  signal: undefined,
  hooks: { beforeRequest: [], afterResponse: [], beforeError: [] },
  fetch: undefined,
  errorMode: 'reject',
  ws: WS_DEFAULTS,
})

/** Layers `next` over `base`. Throws a `TypeError` naming the option when a value is invalid. */
export function mergeOptions(base: MergedOptions, next: ClientOptions & RequestOptions): MergedOptions {
  checkOptions(next)
  return {
    prefixUrl: next.prefixUrl ?? base.prefixUrl,
    headers: next.headers === undefined ? base.headers : [...base.headers, next.headers],
    retry: next.retry === undefined ? base.retry : { ...base.retry, ...(typeof next.retry === 'number' ? { limit: next.retry } : next.retry) },
    timeout: next.timeout ?? base.timeout,
    signal: next.signal ?? base.signal,
    hooks: {
      beforeRequest: [...base.hooks.beforeRequest, ...(next.hooks?.beforeRequest ?? [])],
      afterResponse: [...base.hooks.afterResponse, ...(next.hooks?.afterResponse ?? [])],
      beforeError: [...base.hooks.beforeError, ...(next.hooks?.beforeError ?? [])],
    },
    fetch: next.fetch ?? base.fetch,
    errorMode: next.errorMode ?? base.errorMode,
    ws: {
      wsPingInterval: next.wsPingInterval ?? base.ws.wsPingInterval,
      wsPongTimeout: next.wsPongTimeout ?? base.ws.wsPongTimeout,
      wsIdleTimeout: next.wsIdleTimeout ?? base.ws.wsIdleTimeout,
      wsWindow: next.wsWindow ?? base.ws.wsWindow,
      wsParams: next.wsParams ?? base.ws.wsParams,
      WebSocket: next.WebSocket ?? base.ws.WebSocket,
    },
  }
}

/** The retry policy with defaults filled in. */
export function normalizeRetry(retry: RetryOptions): Readonly<Required<RetryOptions>> {
  return {
    limit: retry.limit ?? DEFAULT_RETRY.limit,
    methods: (retry.methods ?? DEFAULT_RETRY.methods).map((method) => method.toUpperCase()),
    statusCodes: retry.statusCodes ?? DEFAULT_RETRY.statusCodes,
    maxRetryAfter: retry.maxRetryAfter ?? DEFAULT_RETRY.maxRetryAfter,
    backoffLimit: retry.backoffLimit ?? DEFAULT_RETRY.backoffLimit,
  }
}

/** Applies header layers in order: later layers replace same-named headers of earlier ones. */
export async function resolveHeaders(layers: readonly HeadersOption[]): Promise<Headers> {
  const headers = new Headers()
  for (const layer of layers) {
    const value = typeof layer === 'function' ? await layer() : layer
    if (value instanceof Headers || Array.isArray(value)) {
      for (const [name, item] of new Headers(value)) headers.set(name, item)
    } else {
      for (const [name, item] of Object.entries(value)) {
        if (item === undefined) headers.delete(name)
        else headers.set(name, item)
      }
    }
  }
  return headers
}

function checkOptions(options: ClientOptions & RequestOptions): void {
  checkWsOptions(options)
  const { timeout, retry, errorMode } = options
  if (timeout !== undefined && timeout !== false && !(typeof timeout === 'number' && timeout > 0)) {
    throw new TypeError(`Invalid \`timeout\` ${String(timeout)}: pass a positive number of seconds, or false for none.`)
  }
  const retryLimit = typeof retry === 'number' ? retry : retry?.limit
  if (retryLimit !== undefined && !(Number.isInteger(retryLimit) && retryLimit >= 0)) {
    throw new TypeError(`Invalid retry limit ${String(retryLimit)}: pass a whole number of retries (0 disables retrying).`)
  }
  for (const key of ['maxRetryAfter', 'backoffLimit'] as const) {
    const value = typeof retry === 'object' ? retry[key] : undefined
    if (value !== undefined && !(typeof value === 'number' && value >= 0)) {
      throw new TypeError(`Invalid \`retry.${key}\` ${String(value)}: pass a number of seconds (0 or more).`)
    }
  }
  if (errorMode !== undefined && errorMode !== 'reject' && errorMode !== 'return') {
    throw new TypeError(`Invalid \`errorMode\` ${JSON.stringify(errorMode)}: use 'reject' or 'return'.`)
  }
}
