/**
 * Date revival: after a value passed its check, ISO 8601 strings where the schema marks a `Date`
 * (`{ type: 'string', format: 'date-time', 'x-date': true }`) become `Date` objects. The schema is
 * compiled once; schemas without a date compile to nothing.
 *
 * @module
 */
import { Compile } from 'typebox/compile'
import { arrayTransform, compileWith, objectTransform, type JsonSchema, type Transform } from './walk.js'

/** The schema of a `Date`, as the generator emits it; use it in hand-written manifests. */
export function dateSchema(): JsonSchema {
  return { type: 'string', format: 'date-time', 'x-date': true }
}

const toDate: Transform = (value) => (typeof value === 'string' ? new Date(value) : value)

/** Compiles the reviver for `schema`; `undefined` when the schema holds no date. */
export function compileReviver(schema: JsonSchema): Transform {
  return compileWith(schema, (node, compile) => {
    if (node['x-date'] === true) return toDate
    const members = node.anyOf ?? node.oneOf
    if (members) return union(members, compile, schema.$defs)
    if (node.allOf) return node.allOf.map(compile).find((transform) => transform !== undefined)
    if (node.type === 'array') {
      const items = typeof node.items === 'object' ? compile(node.items) : undefined
      return arrayTransform((node.prefixItems ?? []).map(compile), items, false)
    }
    if (node.type === 'object') {
      const properties: Record<string, Transform> = {}
      for (const [key, property] of Object.entries(node.properties ?? {})) properties[key] = compile(property)
      const rest = typeof node.additionalProperties === 'object' ? compile(node.additionalProperties) : undefined
      return objectTransform(properties, rest)
    }
    return undefined
  })
}

/** In a union, the first member (with dates) whose own compiled check accepts the value revives it. */
function union(members: JsonSchema[], compile: (schema: JsonSchema) => Transform, defs: JsonSchema['$defs']): Transform {
  const candidates = members
    .map((member) => ({ member, transform: compile(member) }))
    .filter((candidate): candidate is { member: JsonSchema; transform: NonNullable<Transform> } => candidate.transform !== undefined)
    .map(({ member, transform }) => ({ check: Compile(defs ? { ...member, $defs: defs } : member), transform }))
  if (candidates.length === 0) return undefined
  return (value) => {
    const match = candidates.find((candidate) => candidate.check.Check(value))
    return match ? match.transform(value) : value
  }
}
