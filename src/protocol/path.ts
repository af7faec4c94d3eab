/**
 * Path patterns: `/:name` matches one segment, `/*name` the rest of the path (several segments).
 *
 * @module
 */

const PARAM = /[:*]([A-Za-z_$][\w$]*)/g

/** The parameter names of a pattern, in order: `posts/:id/files/*rest` → `['id', 'rest']`. */
export function parsePathParams(pattern: string): string[] {
  return Array.from(pattern.matchAll(PARAM), (match) => match[1]!)
}

/**
 * Fills a pattern with values. `:name` values are percent-encoded as one segment; `*name` values
 * may be an array of segments or a string with slashes, each segment encoded.
 * Throws a `TypeError` naming the parameter when a value is missing.
 */
export function buildPath(pattern: string, params: Readonly<Record<string, unknown>>): string {
  return pattern.replace(PARAM, (token, name: string) => {
    const value = params[name]
    if (value === undefined || value === null || value === '') {
      throw new TypeError(`Missing path parameter "${name}" for "${pattern}": pass it in the call's params object.`)
    }
    if (token[0] === ':') return encodeURIComponent(String(value))
    const segments = Array.isArray(value) ? value.map(String) : String(value).split('/')
    return segments.map(encodeURIComponent).join('/')
  })
}
