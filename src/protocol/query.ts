/**
 * The query-string encoding both ends use for `data` of GET/HEAD/DELETE routes
 * (docs/protocol-http.md). It is `qs` bracket notation with these rules, so that nested objects,
 * arrays, numbers, booleans and null round-trip:
 *
 * - objects nest as `a[b][c]=1`, arrays as `a[0]=x&a[1]=y`, an empty array as `a[]`;
 * - `null` is a bare key (`a`), the empty string is `a=`;
 * - numbers and booleans travel as text and are coerced back by the route's schema;
 * - `Date` values travel as ISO 8601 strings.
 *
 * @module
 */
import qs from 'qs'

/** Deepest nesting the parser accepts; deeper keys are an error (400), never silently flattened. */
export const MAX_QUERY_DEPTH = 16

/** Most parameters the parser reads; more is an error (400). */
export const MAX_QUERY_PARAMETERS = 1000

/** Highest array index kept as an array element (qs turns larger indices into object keys). */
export const MAX_QUERY_ARRAY_INDEX = 1000

/** Encodes `data` as a query string (without the leading `?`). `undefined` values are left out. */
export function encodeQuery(data: Record<string, unknown>): string {
  return qs.stringify(data, {
    strictNullHandling: true,
    allowEmptyArrays: true,
    encodeValuesOnly: true,
    arrayFormat: 'indices',
    serializeDate: (date) => date.toISOString(),
  })
}

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
