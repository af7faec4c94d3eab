/**
 * The client functions of WebSocket routes: a notification, a request or a subscription, sent
 * over the client's shared connection.
 *
 * @module
 */
import type { ClientWsRoute } from '../../protocol/manifest.js'
import { TimeoutError, type ClientError } from '../errors.js'
import { applyBeforeError } from '../http/request.js'
import { MAX_TIMER_DELAY } from '../http/retry.js'
import { DEFAULT_RETRY, type MergedOptions } from '../options.js'
import type { Connection, PendingCall, PendingNotification } from './connection.js'
import type { WsRequestOptions } from './options.js'
import { WsSubscription } from './subscription.js'

/** Returns the function the client exposes for a WebSocket route. */
export function createWsRouteFunction(route: ClientWsRoute, options: MergedOptions, connection: () => Connection): (...args: unknown[]) => unknown {
  const retryLimit = options.retry.limit ?? DEFAULT_RETRY.limit
  const onError = (error: Error) => applyBeforeError(error as ClientError, options.hooks.beforeError)
  if (route.pattern === 's') {
    return (...args) => {
      const [params, callOptions] = splitArguments(route, args)
      return new WsSubscription({
        connection: connection(),
        method: route.name,
        params,
        signal: callOptions?.signal,
        maxBuffered: options.ws.wsMaxBuffered,
        retryLimit,
        onError,
      })
    }
  }
  const run = (args: unknown[]): Promise<unknown> => {
    const [params, callOptions] = splitArguments(route, args)
    const send = route.pattern === 'n' ? notify : request
    return send(connection(), route.name, params, callOptions, options, retryLimit).catch(async (error: unknown) => {
      throw error instanceof Error ? await onError(error) : error
    })
  }
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

function serialize(message: Record<string, unknown>, method: string): string {
  try {
    return JSON.stringify(message)
  } catch (error) {
    throw new TypeError(`The arguments of WebSocket call "${method}" cannot be sent as JSON: ${(error as Error).message}`, { cause: error })
  }
}

function notify(
  connection: Connection,
  method: string,
  params: unknown[] | undefined,
  callOptions: WsRequestOptions | undefined,
  _options: MergedOptions,
  retryLimit: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const signal = callOptions?.signal
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      connection.unqueue(notification)
      reject(signal!.reason)
    }
    const notification: PendingNotification = {
      method,
      text: serialize({ jsonrpc: '2.0', method, ...(params ? { params } : {}) }, method),
      retryLimit,
      retries: 0,
      written: () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      },
      fail: (error) => {
        signal?.removeEventListener('abort', onAbort)
        reject(error)
      },
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    connection.notify(notification)
  })
}

function request(
  connection: Connection,
  method: string,
  params: unknown[] | undefined,
  callOptions: WsRequestOptions | undefined,
  options: MergedOptions,
  retryLimit: number,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const signal = callOptions?.signal
    if (signal?.aborted) return reject(signal.reason)
    const id = connection.newId()
    const timeout = callOptions?.timeout ?? options.timeout
    let timer: ReturnType<typeof setTimeout> | undefined
    const finish = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const giveUp = (error: unknown) => {
      finish()
      connection.cancel(id)
      reject(error)
    }
    const onAbort = () => giveUp(signal!.reason)
    const call: PendingCall = {
      id,
      method,
      text: serialize({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }, method),
      subscription: false,
      idempotent: callOptions?.idempotent ?? false,
      retryLimit,
      sent: false,
      retries: 0,
      established: false,
      next: () => {},
      settle: (error, result) => {
        finish()
        if (error) reject(error)
        else resolve(result)
      },
    }
    if (timeout !== false) timer = setTimeout(() => giveUp(new TimeoutError({ method }, timeout)), Math.min(timeout * 1000, MAX_TIMER_DELAY))
    signal?.addEventListener('abort', onAbort, { once: true })
    connection.call(call)
  })
}
