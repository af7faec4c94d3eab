// The query encoding: our dependency-free encoder against the qs-based decoder the server uses.
import fc from 'fast-check'
import qs from 'qs'
import { describe, expect, it } from 'vitest'
import { decodeQuery } from '../../src/protocol/query-decode.js'
import { encodeQuery } from '../../src/protocol/query.js'

/** What a value becomes on the wire before the schema coerces it back: leaves as text. */
function asText(value: unknown): unknown {
  if (value === null) return null
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map(asText)
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asText(item)]))
  return String(value)
}

/** Plain objects, as the decoder returns null-prototype ones. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

// Keys may hold any character but brackets (documented: brackets in key names do not round-trip);
// keys that are array indices make their object an array; objects are non-empty (empty objects
// are left out, as in qs). docs/protocol-http.md lists these limits.
const key = fc.string({ minLength: 1, maxLength: 6 }).filter((text) => !/[[\]]/.test(text) && !/^\d+$/.test(text) && text !== '__proto__')
const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.date({ noInvalidDate: true }))
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('value'), { minKeys: 1, maxKeys: 4 }),
}))
const data = fc.dictionary(key, value, { maxKeys: 5 })

describe('query encoding', () => {
  it('round-trips nested objects, arrays, null, empty arrays and text through the decoder', () => {
    fc.assert(
      fc.property(data, (input) => {
        expect(plain(decodeQuery(encodeQuery(input)))).toEqual(asText(input))
      }),
      { numRuns: 2000 },
    )
  })

  it('decodes the same as qs.stringify with the documented options would encode', () => {
    fc.assert(
      fc.property(data, (input) => {
        const reference = qs.stringify(input, {
          strictNullHandling: true,
          allowEmptyArrays: true,
          arrayFormat: 'indices',
          serializeDate: (date) => date.toISOString(),
        })
        expect(plain(decodeQuery(encodeQuery(input)))).toEqual(plain(decodeQuery(reference)))
      }),
      { numRuns: 1000 },
    )
  })

  it('writes the documented forms', () => {
    expect(encodeQuery({ a: 1, b: true, c: null, s: '', e: [], o: { p: ['x'] }, d: new Date(0), u: undefined })).toBe(
      'a=1&b=true&c&s=&e[]&o[p][0]=x&d=1970-01-01T00%3A00%3A00.000Z',
    )
  })

  it('decodes flat queries like qs, repeated keys included', () => {
    for (const query of ['a=1&b=&c&a=2&a=3', '?x=%20y+z&%E2%9C%93=ok', 'bad=%zz&=skipped&d']) {
      expect(plain(decodeQuery(query))).toEqual(plain(qs.parse(query, { ignoreQueryPrefix: true, strictNullHandling: true })))
    }
  })
})
