/**
 * Sends one call: builds the `Request`, runs the hooks, applies the timeout to each attempt, and
 * retries what the retry policy allows. Resolves with the first 2xx response.
 *
 * @module
 */
import { HTTPError, NetworkError, TimeoutError, type ClientError } from '../errors.js'
import { normalizeRetry, resolveHeaders, type BeforeErrorHook, type FetchFunction, type HookOptions, type MergedOptions } from '../options.js'
import { MAX_TIMER_DELAY, retryDelay, sleep } from './retry.js'
import { resolveRouteUrl } from './url.js'

/** A request to send, before hooks and retries. */
export interface HttpCall {
  readonly method: string
  /** The resolved prefix URL (ends with `/`). */
  readonly prefixUrl: string
  /** Path relative to `prefixUrl`, query string included. */
  readonly path: string
  readonly body: BodyInit | undefined
  /** Sent as `content-type` unless the headers already name one. */
  readonly contentType: string | undefined
  readonly options: MergedOptions
}

/** The successful attempt. Its body is still unread. */
export interface Exchange {
  readonly request: Request
  readonly response: Response
  /** Stops following the call's `signal`; call it once the body has been read or dropped. */
  release(): void
  /** Aborts the attempt, which also stops the body download. */
  abort(): void
}

export async function send(call: HttpCall): Promise<Exchange> {
  const { options } = call
  const policy = normalizeRetry(options.retry)
  const fetchFn: FetchFunction = options.fetch ?? ((input) => globalThis.fetch(input))
  const headers = await resolveHeaders(options.headers)
  if (call.contentType && !headers.has('content-type')) headers.set('content-type', call.contentType)
  const url = resolveRouteUrl(call.prefixUrl, call.path)
  // A stream can be read only once, so a request with a stream body gets a single attempt.
  const replayable = !isStream(call.body)

  for (let retryCount = 0; ; retryCount++) {
    options.signal?.throwIfAborted()
    const attempt = startAttempt(options.signal, options.timeout)
    const hookOptions: HookOptions = { prefixUrl: call.prefixUrl, retry: policy, timeout: options.timeout, signal: options.signal, retryCount }
    let request = new Request(url, requestInit(call, headers, attempt.signal))
    let error: ClientError
    try {
      let response: Response | undefined
      for (const hook of options.hooks.beforeRequest) {
        const result = await hook(request, hookOptions)
        if (result instanceof Response) {
          response = result
          break
        }
        // Keep the attempt's signal on a replaced request, so timeout and abort still apply.
        if (result instanceof Request) request = result.signal === attempt.signal ? result : new Request(result, { signal: attempt.signal })
      }
      response ??= await fetchOnce(fetchFn, request, attempt, options)
      attempt.stopTimer()
      for (const hook of options.hooks.afterResponse) response = (await hook(request, hookOptions, response)) ?? response
      if (response.ok) return { request, response, release: attempt.release, abort: attempt.abort }
      error = await HTTPError.from(request, response)
    } catch (caught) {
      attempt.release()
      // User aborts and errors thrown by hooks are not ours to retry or rewrite.
      if (!(caught instanceof NetworkError || caught instanceof TimeoutError)) throw caught
      error = caught
    }
    attempt.release()
    options.signal?.throwIfAborted()
    const delay = replayable ? retryDelay(error, call.method, retryCount, policy) : undefined
    if (delay === undefined) throw await applyBeforeError(error, options.hooks.beforeError)
    await sleep(delay, options.signal)
  }
}

/** Runs the `beforeError` hooks in order; each receives what the previous one returned. */
export async function applyBeforeError(error: ClientError, hooks: readonly BeforeErrorHook[]): Promise<ClientError> {
  for (const hook of hooks) error = await hook(error)
  return error
}

function requestInit(call: HttpCall, headers: Headers, signal: AbortSignal): RequestInit {
  const init: RequestInit & { duplex?: 'half' } = { method: call.method, headers, body: call.body ?? null, signal }
  // fetch requires `duplex: 'half'` to upload a stream body.
  if (isStream(call.body)) init.duplex = 'half'
  return init
}

function isStream(body: BodyInit | undefined): body is ReadableStream {
  return typeof ReadableStream !== 'undefined' && body instanceof ReadableStream
}

async function fetchOnce(fetchFn: FetchFunction, request: Request, attempt: Attempt, options: MergedOptions): Promise<Response> {
  try {
    return await fetchFn(request)
  } catch (cause) {
    if (attempt.timedOut) throw new TimeoutError(request, options.timeout as number)
    if (options.signal?.aborted) throw options.signal.reason
    throw new NetworkError(request, cause)
  }
}

interface Attempt {
  readonly signal: AbortSignal
  readonly timedOut: boolean
  stopTimer(): void
  release(): void
  abort(): void
}

/** One attempt's abort signal: aborted by the call's signal, by the timeout, or by `abort()`. */
function startAttempt(callSignal: AbortSignal | undefined, timeout: number | false): Attempt {
  const controller = new AbortController()
  let timedOut = false
  const onAbort = () => controller.abort(callSignal!.reason)
  callSignal?.addEventListener('abort', onAbort, { once: true })
  const delay = timeout === false ? Infinity : timeout * 1000
  const timer =
    delay > MAX_TIMER_DELAY
      ? undefined
      : setTimeout(() => {
          timedOut = true
          controller.abort(new DOMException(`No response within ${String(timeout)} s`, 'TimeoutError'))
        }, delay)
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut
    },
    stopTimer: () => clearTimeout(timer),
    release() {
      clearTimeout(timer)
      callSignal?.removeEventListener('abort', onAbort)
    },
    abort: () => controller.abort(),
  }
}
