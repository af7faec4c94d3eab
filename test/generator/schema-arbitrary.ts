// fast-check arbitraries for the JSON Schema subset the generator emits: valid values, and
// single-property mutations that a server must reject.
import fc from 'fast-check'

type Schema = Record<string, any>

/** Values that satisfy `schema` (recursion is cut off past `depth`). */
export function valid(schema: Schema, defs: Record<string, Schema> = schema['$defs'] ?? {}, depth = 0): fc.Arbitrary<unknown> {
  if (schema['$ref']) return valid(defs[String(schema['$ref']).replace('#/$defs/', '')]!, defs, depth + 1)
  if ('const' in schema) return fc.constant(schema['const'])
  if (schema['enum']) return fc.constantFrom(...(schema['enum'] as unknown[]))
  if (schema['anyOf']) return fc.oneof(...(schema['anyOf'] as Schema[]).map((member) => valid(member, defs, depth)))
  switch (schema['type']) {
    case 'string': {
      if (schema['x-date'] || schema['format'] === 'date-time') return fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((date) => date.toISOString())
      if (schema['format'] === 'email') return fc.emailAddress()
      const minLength = schema['minLength'] ?? 0
      const maxLength = Math.min(schema['maxLength'] ?? 12, 12)
      if (schema['pattern']) {
        const pattern = new RegExp(schema['pattern'])
        return fc.stringMatching(pattern).filter((text) => text.length >= minLength && text.length <= (schema['maxLength'] ?? Infinity))
      }
      return fc.string({ minLength, maxLength: Math.max(minLength, maxLength) })
    }
    case 'number': {
      if (schema['multipleOf'] !== undefined) {
        const step = schema['multipleOf'] as number
        const low = Math.ceil((schema['minimum'] ?? schema['exclusiveMinimum'] ?? -1e6) / step)
        const high = Math.floor((schema['maximum'] ?? schema['exclusiveMaximum'] ?? 1e6) / step)
        return fc.integer({ min: low, max: high }).map((n) => n * step).filter((n) => n !== schema['exclusiveMinimum'] && n !== schema['exclusiveMaximum'])
      }
      const min = schema['minimum'] ?? schema['exclusiveMinimum'] ?? -1e6
      const max = schema['maximum'] ?? schema['exclusiveMaximum'] ?? 1e6
      return fc
        .double({ min, max, noNaN: true, noDefaultInfinity: true, minExcluded: schema['exclusiveMinimum'] !== undefined, maxExcluded: schema['exclusiveMaximum'] !== undefined })
        .map((n) => (Object.is(n, -0) ? 0 : n))
    }
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array': {
      if (schema['prefixItems']) {
        const prefix = (schema['prefixItems'] as Schema[]).map((item) => valid(item, defs, depth))
        const rest = schema['items'] && depth <= 2 ? fc.array(valid(schema['items'], defs, depth + 1), { maxLength: 3 }) : fc.constant([])
        const min = schema['minItems'] ?? prefix.length
        return fc.tuple(fc.tuple(...prefix), rest, fc.integer({ min, max: prefix.length })).map(([items, more, length]) => (length < prefix.length ? items.slice(0, length) : [...items, ...more]))
      }
      // Past a few levels arrays stay empty, which also ends recursive types.
      if (depth > 2 && !schema['minItems']) return fc.constant([])
      const bounds = { minLength: schema['minItems'] ?? 0, maxLength: Math.min(schema['maxItems'] ?? 3, 3) }
      const items = valid(schema['items'] ?? {}, defs, depth + 1)
      return schema['uniqueItems'] ? fc.uniqueArray(items, { ...bounds, selector: (item) => JSON.stringify(item) }) : fc.array(items, bounds)
    }
    case 'object': {
      const properties = (schema['properties'] ?? {}) as Record<string, Schema>
      const record = fc.record(Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, valid(property, defs, depth + 1)])), {
        requiredKeys: (schema['required'] ?? []) as string[],
      })
      if (typeof schema['additionalProperties'] !== 'object') return record
      const extra = fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }).filter((key) => !(key in properties) && key !== '__proto__'), valid(schema['additionalProperties'], defs, depth + 1), {
        minKeys: schema['minProperties'] ?? 0,
        maxKeys: Math.min(schema['maxProperties'] ?? 2, 2),
      })
      return fc.tuple(record, extra).map(([known, more]) => ({ ...more, ...known }))
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** A value of the wrong JSON type for `schema`, or undefined when any value fits. */
export function wrongValue(schema: Schema): unknown {
  if (schema['const'] !== undefined || schema['enum']) return { not: 'a literal' }
  switch (schema['type']) {
    case 'string':
      return 12345
    case 'number':
      return 'not a number'
    case 'boolean':
      return 'not a boolean'
    case 'null':
      return 0
    case 'array':
      return 'not an array'
    case 'object':
      return 'not an object'
    default:
      return undefined
  }
}
