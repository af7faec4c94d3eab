/**
 * Turns the `prefixUrl` option into the absolute HTTP base URL that route paths and pagination
 * links resolve against.
 *
 * @module
 */

/**
 * `http(s)://…` stays, `ws(s)://…` becomes `http(s)://…` (one `prefixUrl` serves both
 * transports), and a relative URL resolves against the page's `location.href`. The result always
 * ends with `/`, so a route path `posts/1` lands below it rather than replacing its last segment.
 */
export function resolvePrefixUrl(prefixUrl: string | URL | undefined): string {
  const raw = String(prefixUrl ?? '/')
  const mapped = raw.replace(/^ws(s?):/i, 'http$1:')
  let url: URL
  if (/^[a-z][a-z\d+.-]*:/i.test(mapped)) {
    url = new URL(mapped)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`Invalid \`prefixUrl\` "${raw}": use an http(s):// or ws(s):// URL, or a path such as "/api/".`)
    }
  } else {
    const base = (globalThis as { location?: { href?: string } }).location?.href
    if (!base) {
      throw new TypeError(
        `\`prefixUrl\` "${raw}" is relative, and there is no page location to resolve it against (this is not a browser): pass an absolute URL such as "http://localhost:3000/api/".`,
      )
    }
    url = new URL(mapped, base)
  }
  // A query or fragment on the prefix could not be joined with route paths and their queries.
  url.search = ''
  url.hash = ''
  if (!url.pathname.endsWith('/')) url.pathname += '/'
  return url.href
}

/** Resolves a path relative to the prefix (route paths and pagination links have no leading `/`). */
export function resolveRouteUrl(prefixUrl: string, path: string): string {
  return prefixUrl + path.replace(/^\/+/, '')
}
