/**
 * The client functions of WebSocket routes: a notification, a request or a subscription, sent
 * over the client's shared connection.
 *
 * @module
 */
import type { ClientWsRoute } from '../../protocol/manifest.js'
import { TimeoutError, type ClientError } from '../errors.js'
import { applyBeforeError } from '../http/request.js'
import { timerDelay } from '../http/retry.js'
import { DEFAULT_RETRY, type MergedOptions } from '../options.js'
import type { Connection, PendingCall, PendingNotification } from './connection.js'
import { checkWindow, type WsRequestOptions, type WsSubscribeOptions } from './options.js'
import { requestText } from './message.js'
import { WsSubscription } from './subscription.js'

/** One call as the client function received it. */
interface CallSpec {
  readonly connection: Connection
  readonly method: string
  readonly params: unknown[] | undefined
  readonly callOptions: WsRequestOptions | undefined
  readonly options: MergedOptions
  readonly retryLimit: number
}

/** Returns the function the client exposes for a WebSocket route. */
export function createWsRouteFunction(route: ClientWsRoute, options: MergedOptions, connection: () => Connection): (...args: unknown[]) => unknown {
  const retryLimit = options.retry.limit ?? DEFAULT_RETRY.limit
  const onError = (error: Error) => applyBeforeError(error as ClientError, options.hooks.beforeError)
  const spec = (args: unknown[]): CallSpec => {
    const [params, callOptions] = splitArguments(route, args)
    return { connection: connection(), method: route.name, params, callOptions, options, retryLimit }
  }
  if (route.pattern === 's') {
    return (...args) => {
      const call = spec(args)
      const { signal, window = options.ws.wsWindow, lossy = false } = (call.callOptions ?? {}) as WsSubscribeOptions
      checkWindow('window', window)
      return new WsSubscription({ ...call, signal, window, lossy, onError })
    }
  }
  const send = route.pattern === 'n' ? notify : request
  // Without beforeError hooks there is nothing to apply: no extra promise per call.
  const run =
    options.hooks.beforeError.length === 0
      ? (args: unknown[]): Promise<unknown> => send(spec(args))
      : (args: unknown[]): Promise<unknown> =>
          send(spec(args)).catch(async (error: unknown) => {
            throw error instanceof Error ? await onError(error) : error
          })
  if (options.errorMode === 'return') {
    return (...args) =>
      run(args).then(
        (result) => [undefined, result],
        (error: unknown) => [error, undefined],
      )
  }
  return (...args) => run(args)
}

/**
 * Splits a call's arguments into the route's positional parameters and the trailing options. A
 * route with a rest parameter takes no options. Trailing `undefined` parameters are left out
 * (JSON would turn them into `null`, which an optional parameter does not accept).
 */
function splitArguments(route: ClientWsRoute, args: unknown[]): [unknown[] | undefined, WsRequestOptions | undefined] {
  const arity = route.rest ? args.length : route.arity
  const params = args.slice(0, arity)
  while (params.length > 0 && params[params.length - 1] === undefined) params.pop()
  const options = route.rest ? undefined : (args[arity] as WsRequestOptions | undefined)
  return [params.length > 0 ? params : undefined, options]
}

function notify({ connection, method, params, callOptions, retryLimit }: CallSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const signal = callOptions?.signal
    if (signal?.aborted) return reject(signal.reason)
    const settle = (error?: Error) => {
      signal?.removeEventListener('abort', onAbort)
      if (error) reject(error)
      else resolve()
    }
    const onAbort = () => {
      connection.unqueue(notification)
      settle(signal!.reason)
    }
    const notification: PendingNotification = {
      method,
      text: requestText(method, params),
      retryLimit,
      retries: 0,
      written: () => settle(),
      fail: settle,
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    connection.notify(notification)
  })
}

function request({ connection, method, params, callOptions, options, retryLimit }: CallSpec): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const signal = callOptions?.signal
    if (signal?.aborted) return reject(signal.reason)
    const timeout = callOptions?.timeout ?? options.timeout
    if (timeout !== false && !(typeof timeout === 'number' && timeout > 0)) {
      throw new TypeError(`Invalid \`timeout\` ${String(timeout)}: pass a positive number of seconds, or false for none.`)
    }
    const id = connection.newId()
    const call = new RequestCall(id, method, requestText(method, params, id), callOptions?.idempotent ?? false, retryLimit, resolve, reject)
    // A timer and an abort listener only for the calls that have them: none on the common path.
    if (timeout !== false || signal) {
      const giveUp = (error: unknown) => {
        call.finish()
        connection.cancel(id)
        reject(error)
      }
      if (timeout !== false) call.timer = setTimeout(() => giveUp(new TimeoutError({ method }, timeout)), timerDelay(timeout))
      if (signal) {
        const onAbort = () => giveUp(signal.reason)
        signal.addEventListener('abort', onAbort, { once: true })
        call.unlisten = () => signal.removeEventListener('abort', onAbort)
      }
    }
    connection.call(call)
  })
}

/** A request waiting for its answer: a class rather than closures, one of these per call. */
class RequestCall implements PendingCall {
  readonly subscription = false
  sent = false
  retries = 0
  established = false
  timer: ReturnType<typeof setTimeout> | undefined = undefined
  unlisten: (() => void) | undefined = undefined

  constructor(
    readonly id: number,
    readonly method: string,
    readonly text: string,
    readonly idempotent: boolean,
    readonly retryLimit: number,
    private readonly resolve: (result: unknown) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  next(): void {}

  settle(error: Error | undefined, result?: unknown): void {
    this.finish()
    if (error) this.reject(error)
    else this.resolve(result)
  }

  finish(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.unlisten?.()
  }
}
