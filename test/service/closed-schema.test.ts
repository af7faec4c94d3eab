// Which params schemas let a prototype-polluting key through a passing check (src/service/schema/closed.ts).
import { describe, expect, it } from 'vitest'
import { admitsPollutingKeys } from '../../src/service/schema/closed.js'
import { compileCheck, findPollutingKey } from '../../src/service/schema/check.js'
import type { JsonSchema } from '../../src/service/schema/walk.js'

const tuple = (...items: JsonSchema[]): JsonSchema => ({ type: 'array', prefixItems: items, items: false, minItems: items.length, maxItems: items.length })
const closedObject: JsonSchema = { type: 'object', properties: { a: { type: 'number' }, b: { type: 'string' } }, required: ['a', 'b'], additionalProperties: false }

describe('admitsPollutingKeys', () => {
  it.each<[string, JsonSchema | boolean]>([
    ['scalars', tuple({ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }, { type: ['string', 'null'] })],
    ['a closed object', tuple(closedObject)],
    ['nested closed objects and arrays', tuple({ type: 'object', properties: { list: { type: 'array', items: closedObject } }, additionalProperties: false })],
    ['unions of closed branches', tuple({ anyOf: [closedObject, { type: 'string' }] }, { oneOf: [{ const: 1 }, { enum: ['x', null] }] })],
    ['allOf with one closed part', tuple({ allOf: [{ type: 'object' }, closedObject] })],
    ['a recursive closed type', { ...tuple({ $ref: '#/$defs/Node' }), $defs: { Node: { type: 'object', properties: { next: { anyOf: [{ $ref: '#/$defs/Node' }, { type: 'null' }] } }, additionalProperties: false } } }],
    ['a tuple closed by maxItems', { type: 'array', prefixItems: [{ type: 'string' }], maxItems: 1 }],
    ['dates', tuple({ type: 'string', format: 'date-time', 'x-date': true })],
  ])('is false for %s', (_name, schema) => {
    expect(admitsPollutingKeys(schema)).toBe(false)
  })

  it.each<[string, JsonSchema | boolean]>([
    ['any value ({})', tuple({})],
    ['true', tuple(true as unknown as JsonSchema)],
    ['an object without additionalProperties: false', tuple({ type: 'object', properties: { a: { type: 'number' } } })],
    ['a record', tuple({ type: 'object', additionalProperties: { type: 'number' } })],
    ['patternProperties', tuple({ type: 'object', patternProperties: { '^x': { type: 'number' } }, additionalProperties: false })],
    ['a declared __proto__ or constructor property', tuple({ type: 'object', properties: { constructor: { type: 'object', additionalProperties: false } }, additionalProperties: false })],
    ['rest items of any value', { type: 'array', prefixItems: [{ type: 'string' }], items: {} }],
    ['a tuple without items or maxItems', { type: 'array', prefixItems: [{ type: 'string' }] }],
    ['a union with one open branch', tuple({ anyOf: [closedObject, { type: 'object' }] })],
    ['an object const', tuple({ const: { a: 1 } })],
    ['an unknown keyword (not)', tuple({ not: { type: 'string' } })],
    ['an unresolvable $ref', tuple({ $ref: '#/$defs/Missing' })],
  ])('is true for %s', (_name, schema) => {
    expect(admitsPollutingKeys(schema)).toBe(true)
  })

  it('agrees with the check: a closed schema refuses every polluting key on its own', () => {
    const schema = tuple(closedObject, { type: 'array', items: closedObject })
    const check = compileCheck(schema)
    for (const text of ['[{"a":1,"b":"x","__proto__":{"p":1}},[]]', '[{"a":1,"b":"x"},[{"a":1,"b":"y","constructor":{"prototype":{}}}]]']) {
      const params = JSON.parse(text) as unknown[]
      expect(findPollutingKey(params)).toBeDefined()
      expect(check(params, false).ok).toBe(false)
    }
  })
})
