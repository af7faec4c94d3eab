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
import { messageWriter, type MessageWriter } from './message.js'
import { WsSubscription } from './subscription.js'

/** What every call of one route shares. */
interface RouteCalls {
  readonly method: string
  readonly write: MessageWriter
  readonly options: MergedOptions
  readonly retryLimit: number
}

/** Returns the function the client exposes for a WebSocket route. */
export function createWsRouteFunction(route: ClientWsRoute, options: MergedOptions, connection: () => Connection): (...args: unknown[]) => unknown {
  const retryLimit = options.retry.limit ?? DEFAULT_RETRY.limit
  const onError = (error: Error) => applyBeforeError(error as ClientError, options.hooks.beforeError)
  const calls: RouteCalls = { method: route.name, write: messageWriter(route.name), options, retryLimit }
  if (route.pattern === 's') {
    return (...args) => {
      const callOptions = optionsOf(route, args) as WsSubscribeOptions | undefined
      const { signal, window = options.ws.wsWindow, lossy = false } = callOptions ?? {}
      checkWindow('window', window)
      const params = paramsOf(route, args)
      return new WsSubscription({ connection: connection(), method: route.name, params, signal, window, lossy, retryLimit, onError })
    }
  }
  const send = route.pattern === 'n' ? notify : request
  const call = (args: unknown[]): Promise<unknown> => send(connection(), calls, optionsOf(route, args), paramsOf(route, args))
  // Without beforeError hooks there is nothing to apply: no extra promise per call.
  const run =
    options.hooks.beforeError.length === 0
      ? call
      : (args: unknown[]): Promise<unknown> =>
          call(args).catch(async (error: unknown) => {
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

/** The call options: the argument after the route's parameters. A route with a rest parameter takes none. */
function optionsOf(route: ClientWsRoute, args: unknown[]): WsRequestOptions | undefined {
  return route.rest ? undefined : (args[route.arity] as WsRequestOptions | undefined)
}

/**
 * The route's positional parameters among a call's arguments (`args`, the call's own array, is
 * reused). Trailing `undefined` parameters are left out (JSON would turn them into `null`, which
 * an optional parameter does not accept). Read the options first: this drops them.
 */
function paramsOf(route: ClientWsRoute, args: unknown[]): unknown[] | undefined {
  const params = route.rest || args.length <= route.arity ? args : args.slice(0, route.arity)
  while (params.length > 0 && params[params.length - 1] === undefined) params.pop()
  return params.length > 0 ? params : undefined
}

function notify(connection: Connection, { method, write, retryLimit }: RouteCalls, callOptions: WsRequestOptions | undefined, params: unknown[] | undefined): Promise<void> {
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
    const notification: PendingNotification = { method, text: write(params), retryLimit, retries: 0, written: () => settle(), fail: settle }
    signal?.addEventListener('abort', onAbort, { once: true })
    connection.notify(notification)
  })
}

function request(connection: Connection, { method, write, options, retryLimit }: RouteCalls, callOptions: WsRequestOptions | undefined, params: unknown[] | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const signal = callOptions?.signal
    if (signal?.aborted) return reject(signal.reason)
    const timeout = callOptions?.timeout ?? options.timeout
    if (timeout !== false && !(typeof timeout === 'number' && timeout > 0)) {
      throw new TypeError(`Invalid \`timeout\` ${String(timeout)}: pass a positive number of seconds, or false for none.`)
    }
    const id = connection.newId()
    const call = new RequestCall(id, method, write(params, id), callOptions?.idempotent ?? false, retryLimit, resolve, reject)
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
