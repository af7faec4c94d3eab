/**
 * Text coercion for path parameters and query values, which arrive as strings: a JSON Schema is
 * compiled once into a function that turns `"42"` into `42` where the schema wants a number,
 * `"true"` into `true` where it wants a boolean, and so on. Anything it cannot convert is left
 * alone for the validator to report.
 *
 * @module
 */
import { arrayTransform, compileWith, objectTransform, type JsonSchema, type Transform } from './walk.js'

const NUMBER = /^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/

const toNumber: Transform = (value) => (typeof value === 'string' && NUMBER.test(value) ? Number(value) : value)
const toBoolean: Transform = (value) => (value === 'true' ? true : value === 'false' ? false : value)
const toNull: Transform = (value) => (value === 'null' ? null : value)

/** Compiles the coercer for `schema`; `undefined` when no value ever needs converting. */
export function compileCoercer(schema: JsonSchema): Transform {
  return compileWith(schema, (node, compile) => {
    if (node.const !== undefined) return literal([node.const])
    if (Array.isArray(node.enum)) return literal(node.enum)
    const members = node.anyOf ?? node.oneOf
    if (members) return union(members, compile)
    if (node.allOf) return chain(node.allOf.map(compile))
    const types = Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type]
    if (types.length > 1) return union(types.map((type) => ({ ...node, type })), compile)
    switch (types[0]) {
      case 'number':
      case 'integer':
        return toNumber
      case 'boolean':
        return toBoolean
      case 'null':
        return toNull
      case 'array': {
        const items = typeof node.items === 'object' ? compile(node.items) : undefined
        // `tags=a` (no brackets) reads as one string: wrap it when the schema wants an array.
        return arrayTransform((node.prefixItems ?? []).map(compile), items, true)
      }
      case 'object': {
        const properties: Record<string, Transform> = {}
        for (const [key, property] of Object.entries(node.properties ?? {})) properties[key] = compile(property)
        const rest = typeof node.additionalProperties === 'object' ? compile(node.additionalProperties) : undefined
        return objectTransform(properties, rest)
      }
      default:
        return undefined
    }
  })
}

/** A literal (`const` or `enum`): text that spells one of the non-string values becomes it. */
function literal(values: unknown[]): Transform {
  const byText = new Map<string, unknown>()
  for (const value of values) if (typeof value !== 'string' && typeof value !== 'object') byText.set(String(value), value)
  for (const value of values) if (value === null) byText.set('null', null)
  if (byText.size === 0 || values.some((value) => typeof value === 'string' && byText.has(value))) return undefined
  return (value) => (typeof value === 'string' && byText.has(value) ? byText.get(value) : value)
}

/**
 * A union: text stays text when some member takes strings; otherwise the first member whose
 * coercion changes the value wins (`number | null`: `"5"` → 5, `"null"` → null).
 */
function union(members: JsonSchema[], compile: (schema: JsonSchema) => Transform): Transform {
  const transforms = members.map(compile).filter((transform): transform is NonNullable<Transform> => transform !== undefined)
  if (transforms.length === 0) return undefined
  const takesText = members.some((member) => acceptsAnyString(member))
  return (value) => {
    if (typeof value === 'string' && takesText) return value
    for (const transform of transforms) {
      const converted = transform(value)
      if (converted !== value) return converted
    }
    return value
  }
}

function acceptsAnyString(schema: JsonSchema): boolean {
  return schema.type === 'string' || (Array.isArray(schema.type) && schema.type.includes('string'))
}

function chain(transforms: Transform[]): Transform {
  const present = transforms.filter((transform): transform is NonNullable<Transform> => transform !== undefined)
  if (present.length === 0) return undefined
  return (value) => present.reduce((current, transform) => transform(current), value)
}
