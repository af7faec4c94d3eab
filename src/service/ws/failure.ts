/**
 * Unexpected errors of a connection's calls: reported to `onError` and the log, and turned into the
 * JSON-RPC error object the client receives (src/service/thrown.ts reads whatever was thrown).
 *
 * @module
 */
import { WsErrorCode, type ErrorObject } from '../../protocol/ws.js'
import { logError } from '../log.js'
import { describeThrown, thrownHttpError, thrownResponse, thrownResync } from '../thrown.js'
import type { ResolvedWsOptions } from './options.js'

/** @internal Where an unexpected error happened, for the log: the route and the connection. */
export interface ErrorSite {
  route?: string | undefined
  connection: string
}

/** @internal Reports an unexpected error to `onError` and to the logger. */
export function reportError(error: unknown, options: ResolvedWsOptions, request: Request, site: ErrorSite): void {
  options.onError(error, request)
  const where = site.route === undefined ? `ws #${site.connection}` : `ws route ${JSON.stringify(site.route)} (ws #${site.connection})`
  logError(options.logger, error, where, { route: site.route, id: site.connection })
}

/** @internal The error object for anything a handler or middleware threw (src/service/thrown.ts reads it). */
export function toErrorObject(error: unknown, options: ResolvedWsOptions, request: Request, site: ErrorSite): ErrorObject {
  const http = thrownHttpError(error)
  if (http) return { code: http.status, message: http.message, ...(http.data !== undefined ? { data: http.data } : {}) }
  const response = thrownResponse(error)
  if (response) return { code: response.status, message: response.statusText || `HTTP ${response.status}` }
  const resync = thrownResync(error)
  if (resync) return { code: WsErrorCode.ResyncRequired, message: resync.message, data: { lastEventId: resync.lastEventId } }
  reportError(error, options, request, site)
  if (!options.debug) return { code: WsErrorCode.InternalError, message: 'Internal error.' }
  const { message, stack } = describeThrown(error)
  return { code: WsErrorCode.InternalError, message: 'Internal error.', data: stack === undefined ? { message } : { message, stack } }
}
