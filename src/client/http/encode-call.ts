/**
 * Turns a route call's `params` into the request's path, query string and body, the mirror of
 * how the server reads them (src/service/http/compile-routes.ts and request-data.ts).
 *
 * @module
 */
import { QUERY_METHODS, type ClientHttpRoute } from '../../protocol/manifest.js'
import { buildPath } from '../../protocol/path.js'
import { encodeQuery } from '../../protocol/query.js'

export interface EncodedCall {
  /** The path relative to `prefixUrl`, query string included. */
  readonly path: string
  readonly body: BodyInit | undefined
  /** Content type to send when the caller's headers name none (`undefined` for raw bodies: `fetch` picks it). */
  readonly contentType: string | undefined
}

/**
 * `params` is, in order of precedence: a raw body (`FormData`, `Blob`, `URLSearchParams`,
 * `ArrayBuffer`, a typed array, `ReadableStream`) sent as is; a plain object whose keys name the
 * path parameters and whose other keys are the `data`; or, for a route with exactly one path
 * parameter, that parameter's value alone (`getPost(5)`).
 */
export function encodeCall(name: string, route: ClientHttpRoute, params: unknown): EncodedCall {
  const usesQuery = QUERY_METHODS.has(route.method)
  if (params === undefined || params === null) {
    return { path: fillPath(name, route, {}), body: undefined, contentType: undefined }
  }
  if (isRawBody(params)) {
    if (usesQuery && params instanceof URLSearchParams) {
      const query = params.toString()
      return { path: fillPath(name, route, {}) + (query ? `?${query}` : ''), body: undefined, contentType: undefined }
    }
    if (usesQuery) {
      throw new TypeError(`${name}(): a ${route.method} request has no body; pass a plain object of query parameters instead of a ${describe(params)}.`)
    }
    return { path: fillPath(name, route, {}), body: params, contentType: undefined }
  }
  let values: Record<string, unknown>
  const data: Record<string, unknown> = {}
  if (isPlainObject(params)) {
    values = params
    for (const [key, value] of Object.entries(params)) if (!route.pathParams.includes(key)) data[key] = value
  } else if (route.pathParams.length === 1) {
    values = { [route.pathParams[0]!]: params }
  } else {
    const expected = route.pathParams.length === 0 ? 'a plain object of data' : `a plain object with ${route.pathParams.map((param) => `"${param}"`).join(', ')}`
    throw new TypeError(`${name}(): expected ${expected} as the first argument, got ${describe(params)}.`)
  }
  const path = fillPath(name, route, values)
  if (Object.keys(data).length === 0) return { path, body: undefined, contentType: undefined }
  if (usesQuery) {
    const query = encodeQuery(data)
    return { path: query ? `${path}?${query}` : path, body: undefined, contentType: undefined }
  }
  return { path, body: JSON.stringify(data), contentType: 'application/json' }
}

function fillPath(name: string, route: ClientHttpRoute, values: Record<string, unknown>): string {
  if (route.pathParams.length === 0) return route.path
  const strings: Record<string, unknown> = {}
  for (const param of route.pathParams) {
    const value = values[param]
    strings[param] = value instanceof Date ? value.toISOString() : value
  }
  try {
    return buildPath(route.path, strings)
  } catch (error) {
    throw new TypeError(`${name}(): ${(error as Error).message}`)
  }
}

function isRawBody(value: unknown): value is BodyInit {
  return (
    (typeof FormData !== 'undefined' && value instanceof FormData) ||
    (typeof Blob !== 'undefined' && value instanceof Blob) ||
    value instanceof URLSearchParams ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    (typeof ReadableStream !== 'undefined' && value instanceof ReadableStream)
  )
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object' && value !== null) return `a ${value.constructor?.name ?? 'object'}`
  return `${typeof value} ${JSON.stringify(value)}`
}
