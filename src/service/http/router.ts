/**
 * Matches a request path to a route with `rou3`, and says which methods a path allows (for 405).
 *
 * @module
 */
import { addRoute, createRouter, findRoute } from 'rou3'
import type { HttpMethod } from '../../protocol/manifest.js'

export interface Match<T> {
  route: T
  /** Raw (still percent-encoded) path parameter values. */
  params: Record<string, string>
}

export interface Router<T> {
  /** The route for `method` and `path`; HEAD falls back to GET. */
  match(method: string, path: string): Match<T> | undefined
  /** Methods that have a route for `path`, for the `Allow` header. */
  allowedMethods(path: string): string[]
}

/** `/files/*rest` in our syntax is `/files/**:rest` in rou3's. */
function toRou3Path(path: string): string {
  return path.replace(/\/\*([A-Za-z_$][\w$]*)/g, '/**:$1')
}

export function createRouterFor<T>(routes: readonly { method: HttpMethod; path: string; route: T }[]): Router<T> {
  const router = createRouter<T>()
  const methods = new Set<string>()
  for (const { method, path, route } of routes) {
    addRoute(router, method, toRou3Path(path), route)
    methods.add(method)
  }
  const find = (method: string, path: string): Match<T> | undefined => {
    const found = findRoute(router, method, path)
    return found && { route: found.data, params: found.params ?? {} }
  }
  return {
    match(method, path) {
      return find(method, path) ?? (method === 'HEAD' ? find('GET', path) : undefined)
    },
    allowedMethods(path) {
      const allowed = [...methods].filter((method) => find(method, path))
      if (allowed.includes('GET') && !allowed.includes('HEAD')) allowed.push('HEAD')
      return allowed.length > 0 ? [...allowed, 'OPTIONS'] : []
    },
  }
}
