/**
 * Whether a schema lets a prototype-polluting key through (`__proto__`, or a `constructor`
 * object): a value that passes a closed schema cannot hold one, so the WebSocket engine scans
 * params for such keys only when the check fails (to name the key) or the schema is open. The
 * answer errs on the side of "open": anything not understood here is open.
 *
 * @module
 */
import type { JsonSchema } from './walk.js'

/** Keywords that only constrain a value further: they cannot let a key through that the rest refuses. */
const NARROWING = new Set([
  'type', 'properties', 'additionalProperties', 'required', 'items', 'prefixItems', 'anyOf', 'oneOf', 'allOf', '$ref', '$defs',
  'enum', 'const', 'format', 'x-date', 'minItems', 'maxItems', 'uniqueItems', 'minLength', 'maxLength', 'pattern',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minProperties', 'maxProperties',
  'title', 'description', 'default', 'examples', '$schema', '$id', '$comment', 'deprecated', 'readOnly', 'writeOnly',
])
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null'])
const POLLUTING_NAMES = new Set(['__proto__', 'constructor', 'prototype'])

/** `true` when some value that passes `schema` could hold a polluting key (see the module comment). */
export function admitsPollutingKeys(schema: JsonSchema | boolean): boolean {
  const root = typeof schema === 'object' && schema !== null ? schema : undefined
  // A `$ref` being followed is taken as closed: a recursive type is closed when the rest of it is.
  const following = new Set<string>()
  const open = (node: JsonSchema | boolean | undefined): boolean => {
    if (node === false) return false
    if (typeof node !== 'object' || node === null) return true
    if (Object.keys(node).some((keyword) => !NARROWING.has(keyword))) return true
    if (node.$ref !== undefined) return openRef(node.$ref)
    if (node.const !== undefined) return !isScalar(node.const)
    if (node.enum !== undefined) return !node.enum.every(isScalar)
    for (const keyword of ['anyOf', 'oneOf'] as const) {
      const branches = node[keyword]
      if (branches) return branches.some(open)
    }
    if (node.allOf) return node.allOf.every(open)
    const types = typeof node.type === 'string' ? [node.type] : node.type
    if (!types) return true
    return types.some((type) => {
      if (SCALAR_TYPES.has(type)) return false
      if (type === 'array') return openArray(node)
      if (type === 'object') return openObject(node)
      return true
    })
  }
  const openArray = (node: JsonSchema) => (node.prefixItems ?? []).some(open) || (node.items === undefined ? !closedByLength(node) : open(node.items))
  const openObject = (node: JsonSchema) =>
    node.additionalProperties !== false ||
    Object.entries(node.properties ?? {}).some(([name, property]) => POLLUTING_NAMES.has(name) || open(property))
  const openRef = (ref: string): boolean => {
    const name = ref.startsWith('#/$defs/') ? ref.slice('#/$defs/'.length) : undefined
    const target = name === undefined ? undefined : root?.$defs?.[name]
    if (!target) return true
    if (following.has(ref)) return false
    following.add(ref)
    const result = open(target)
    following.delete(ref)
    return result
  }
  return open(schema)
}

/** A tuple without `items`: closed only when `maxItems` allows no element past `prefixItems`. */
function closedByLength(node: JsonSchema): boolean {
  return typeof node['maxItems'] === 'number' && node['maxItems'] <= (node.prefixItems?.length ?? 0)
}

function isScalar(value: unknown): boolean {
  return typeof value !== 'object' || value === null
}
