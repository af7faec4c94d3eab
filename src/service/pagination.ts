/**
 * `paginate(this, { prev, next })`: the return value of a streaming GET handler that tells the
 * client how to fetch the neighbouring pages (`nextPage()` / `previousPage()` on the client).
 *
 * @module
 */
import type { PaginationRecord } from '../protocol/http.js'
import { buildPath, parsePathParams } from '../protocol/path.js'
import { encodeQuery } from '../protocol/query.js'
import type { HttpRouteDefinition } from './route.js'

const kLinks = Symbol.for('wirerpc.PaginationLinks')

/** Links to the previous and next pages, as `paginate` returns them. */
export interface PaginationLinks<TParams extends object = Record<string, unknown>> {
  readonly route: HttpRouteDefinition
  readonly prev: TParams | null
  readonly next: TParams | null
}

/**
 * Returns pagination links for `route` (usually `this` inside the handler). Each link holds the
 * params (path params and query) of the page it points to, or `null` when there is none.
 * Only GET routes can be paginated.
 */
export function paginate<TParams extends object>(
  route: HttpRouteDefinition,
  links: { prev: TParams | null; next: TParams | null },
): PaginationLinks<TParams> {
  if (route?.protocol !== 'http' || route.method !== 'GET') {
    throw new TypeError('paginate(route, links): route must be a GET route definition; pass `this` inside a GET handler.')
  }
  return Object.defineProperty({ route, prev: links.prev, next: links.next }, kLinks, { value: true })
}

export function isPaginationLinks(value: unknown): value is PaginationLinks {
  return typeof value === 'object' && value !== null && (value as any)[kLinks] === true
}

/** @internal Turns links into the stream's last record: URLs relative to the API prefix. */
export function toPaginationRecord(links: PaginationLinks): PaginationRecord {
  return { $prev: linkURL(links.route, links.prev), $next: linkURL(links.route, links.next) }
}

function linkURL(route: HttpRouteDefinition, params: object | null): string | null {
  if (!params) return null
  const pathParams = new Set(parsePathParams(route.path))
  const query: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(params)) if (!pathParams.has(key)) query[key] = value
  const search = encodeQuery(query)
  return buildPath(route.path.slice(1), params as Record<string, unknown>) + (search ? `?${search}` : '')
}
