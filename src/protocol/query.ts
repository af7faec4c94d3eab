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
 * Encoding lives here with no dependency, so the browser client stays small; decoding (server
 * side) is in `query-decode.ts`, built on `qs`, which the encoder matches.
 *
 * @module
 */
/** Deepest nesting the parser accepts; deeper keys are an error (400), never silently flattened. */
export const MAX_QUERY_DEPTH = 16

/** Most parameters the parser reads; more is an error (400). */
export const MAX_QUERY_PARAMETERS = 1000

/** Highest array index kept as an array element (qs turns larger indices into object keys). */
export const MAX_QUERY_ARRAY_INDEX = 1000

/** Encodes `data` as a query string (without the leading `?`). `undefined` values are left out. */
export function encodeQuery(data: Readonly<Record<string, unknown>>): string {
  const pairs: string[] = []
  for (const key of Object.keys(data)) appendPairs(pairs, encodeURIComponent(key), data[key])
  return pairs.join('&')
}

function appendPairs(pairs: string[], key: string, value: unknown): void {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return
  if (value === null) pairs.push(key)
  else if (value instanceof Date) pairs.push(`${key}=${encodeURIComponent(value.toISOString())}`)
  else if (Array.isArray(value)) {
    if (value.length === 0) pairs.push(`${key}[]`)
    value.forEach((item, index) => appendPairs(pairs, `${key}[${index}]`, item))
  } else if (typeof value === 'object') {
    for (const name of Object.keys(value)) appendPairs(pairs, `${key}[${encodeURIComponent(name)}]`, (value as Record<string, unknown>)[name])
  } else pairs.push(`${key}=${encodeURIComponent(String(value))}`)
}
