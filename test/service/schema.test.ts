// Schema-directed transforms: text coercion for path/query values, Date revival after the check.
import { describe, expect, it } from 'vitest'
import { compileCoercer } from '../../src/service/schema/coerce.js'
import { compileReviver, dateSchema } from '../../src/service/schema/revive.js'
import type { JsonSchema } from '../../src/service/schema/walk.js'

const coerce = (schema: JsonSchema, value: unknown) => (compileCoercer(schema) ?? ((v: unknown) => v))(value)
const revive = (schema: JsonSchema, value: unknown) => (compileReviver(schema) ?? ((v: unknown) => v))(value)

describe('compileCoercer', () => {
  it('converts numeric text, boolean text and "null" where the schema wants them', () => {
    expect(coerce({ type: 'number' }, '4.5')).toBe(4.5)
    expect(coerce({ type: 'integer' }, '-7')).toBe(-7)
    expect(coerce({ type: 'number' }, '1e3')).toBe(1000)
    expect(coerce({ type: 'boolean' }, 'false')).toBe(false)
    expect(coerce({ type: 'null' }, 'null')).toBe(null)
  })

  it('leaves text it cannot convert for the validator to report', () => {
    expect(coerce({ type: 'number' }, 'ten')).toBe('ten')
    expect(coerce({ type: 'number' }, '')).toBe('')
    expect(coerce({ type: 'number' }, '0x10')).toBe('0x10')
    expect(coerce({ type: 'boolean' }, 'yes')).toBe('yes')
  })

  it('keeps text as text where a union member takes strings', () => {
    expect(coerce({ anyOf: [{ type: 'string' }, { type: 'number' }] }, '5')).toBe('5')
    expect(coerce({ type: ['number', 'null'] }, '5')).toBe(5)
    expect(coerce({ anyOf: [{ type: 'number' }, { type: 'null' }] }, 'null')).toBe(null)
  })

  it('converts literals of other types, and leaves string literals alone', () => {
    expect(coerce({ const: 3 }, '3')).toBe(3)
    expect(coerce({ enum: [1, 2, true] }, 'true')).toBe(true)
    expect(coerce({ enum: ['1', 1] }, '1')).toBe('1')
  })

  it('walks objects, arrays, tuples and additional properties', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        ids: { type: 'array', items: { type: 'integer' } },
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] },
        nested: { type: 'object', properties: { on: { type: 'boolean' } } },
      },
      additionalProperties: { type: 'number' },
    }
    expect(coerce(schema, { ids: ['1', '2'], pair: ['a', '2'], nested: { on: 'true' }, extra: '9' })).toEqual({
      ids: [1, 2],
      pair: ['a', 2],
      nested: { on: true },
      extra: 9,
    })
  })

  it('wraps a single value in an array where the schema wants an array', () => {
    expect(coerce({ type: 'array', items: { type: 'number' } }, '3')).toEqual([3])
  })

  it('follows $ref into $defs, recursion included', () => {
    const schema: JsonSchema = {
      $defs: { Node: { type: 'object', properties: { n: { type: 'number' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } },
      $ref: '#/$defs/Node',
    }
    expect(coerce(schema, { n: '1', children: [{ n: '2', children: [{ n: '3' }] }] })).toEqual({ n: 1, children: [{ n: 2, children: [{ n: 3 }] }] })
  })

  it('compiles to nothing for schemas that never need conversion', () => {
    expect(compileCoercer({ type: 'object', properties: { name: { type: 'string' } } })).toBeUndefined()
  })
})

describe('compileReviver', () => {
  const iso = '2024-02-03T04:05:06.000Z'

  it('turns marked date strings into Dates, in objects, arrays and records', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: { at: dateSchema(), list: { type: 'array', items: dateSchema() } },
      additionalProperties: dateSchema(),
    }
    const result = revive(schema, { at: iso, list: [iso], other: iso }) as Record<string, unknown>
    expect(result['at']).toEqual(new Date(iso))
    expect(result['list']).toEqual([new Date(iso)])
    expect(result['other']).toEqual(new Date(iso))
  })

  it('picks the union member whose check passes', () => {
    const schema: JsonSchema = { anyOf: [{ type: 'null' }, { type: 'object', properties: { at: dateSchema() }, required: ['at'] }] }
    expect(revive(schema, null)).toBe(null)
    expect(revive(schema, { at: iso })).toEqual({ at: new Date(iso) })
  })

  it('leaves plain date-time strings (not marked as Date) alone', () => {
    expect(revive({ type: 'string', format: 'date-time' }, iso)).toBe(iso)
    expect(compileReviver({ type: 'object', properties: { at: { type: 'string', format: 'date-time' } } })).toBeUndefined()
  })

  it('follows recursive references', () => {
    const schema: JsonSchema = {
      $defs: { Event: { type: 'object', properties: { at: dateSchema(), next: { anyOf: [{ $ref: '#/$defs/Event' }, { type: 'null' }] } } } },
      $ref: '#/$defs/Event',
    }
    expect(revive(schema, { at: iso, next: { at: iso, next: null } })).toEqual({ at: new Date(iso), next: { at: new Date(iso), next: null } })
  })
})
