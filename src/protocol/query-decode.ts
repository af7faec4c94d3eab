/**
 * Decoding of the query encoding described in `query.ts`, with `qs` (server side only: the client
 * never decodes, and keeping `qs` out of its bundle saves about 55 kB).
 *
 * @module
 */
import qs from 'qs'
import { MAX_QUERY_ARRAY_INDEX, MAX_QUERY_DEPTH, MAX_QUERY_PARAMETERS } from './query.js'

/**
 * Decodes a query string (with or without `?`). Objects have no prototype, so a key such as
 * `__proto__` is kept as data for the caller to reject rather than read as a prototype.
 * Throws a `RangeError` when the query nests or repeats beyond the limits above.
 */
export function decodeQuery(query: string): Record<string, unknown> {
  if (query === '' || query === '?') return Object.create(null)
  if (!NESTED.test(query)) return decodeFlatQuery(query)
  return qs.parse(query, {
    ignoreQueryPrefix: true,
    strictNullHandling: true,
    allowEmptyArrays: true,
    plainObjects: true,
    allowPrototypes: true,
    depth: MAX_QUERY_DEPTH,
    strictDepth: true,
    parameterLimit: MAX_QUERY_PARAMETERS,
    throwOnLimitExceeded: true,
    arrayLimit: MAX_QUERY_ARRAY_INDEX,
  }) as Record<string, unknown>
}

/** Brackets, raw or percent-encoded: only such queries need qs's nesting rules. */
const NESTED = /[[\]]|%5[bd]/i

/** The same result as qs for a query without brackets, several times faster (the common case). */
function decodeFlatQuery(query: string): Record<string, unknown> {
  const result: Record<string, unknown> = Object.create(null)
  const pairs = (query[0] === '?' ? query.slice(1) : query).split('&')
  if (pairs.length > MAX_QUERY_PARAMETERS) throw new RangeError(`Parameter limit exceeded. Only ${MAX_QUERY_PARAMETERS} parameters allowed.`)
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq))
    if (key === '') continue
    const value = eq < 0 ? null : decodeComponent(pair.slice(eq + 1))
    const previous = result[key]
    // qs combines repeated keys into an array.
    result[key] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value]
  }
  return result
}

function decodeComponent(text: string): string {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text
  if (!spaced.includes('%')) return spaced
  try {
    return decodeURIComponent(spaced)
  } catch {
    return spaced
  }
}
