/**
 * Shared plumbing for the schema-directed transforms (`coerce.ts`, `revive.ts`): each compiles a
 * JSON Schema once into a tree of closures, following `$ref`s into `$defs` (recursion included).
 *
 * @module
 */

/** The JSON Schema subset that the generator emits and the transforms understand. */
export interface JsonSchema {
  type?: string | string[]
  const?: unknown
  enum?: unknown[]
  format?: string
  properties?: Record<string, JsonSchema>
  additionalProperties?: JsonSchema | boolean
  items?: JsonSchema | boolean
  prefixItems?: JsonSchema[]
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  $ref?: string
  $defs?: Record<string, JsonSchema>
  /** wirerpc's marker for a `Date`: an ISO 8601 string on the wire, a `Date` in the handler. */
  'x-date'?: boolean
  [keyword: string]: unknown
}

/** A value transform; `undefined` stands for the identity, so that callers can skip the work. */
export type Transform = ((value: unknown) => unknown) | undefined

/**
 * Compiles `schema` with `compileNode`, resolving `$ref: '#/$defs/Name'` against the root's
 * `$defs`. A reference compiles once; a recursive one goes through a late-bound closure.
 */
export function compileWith(
  root: JsonSchema,
  compileNode: (schema: JsonSchema, compile: (schema: JsonSchema) => Transform) => Transform,
): Transform {
  const defs = root.$defs ?? {}
  const resolved = new Map<string, { transform: Transform; pending: boolean }>()
  const compile = (schema: JsonSchema): Transform => {
    if (typeof schema !== 'object' || schema === null) return undefined
    if (typeof schema.$ref === 'string') return compileRef(schema.$ref)
    return compileNode(schema, compile)
  }
  const compileRef = (ref: string): Transform => {
    const known = resolved.get(ref)
    if (known && !known.pending) return known.transform
    if (known) return (value) => resolved.get(ref)!.transform?.(value) ?? value
    const name = ref.startsWith('#/$defs/') ? ref.slice('#/$defs/'.length) : undefined
    const target = name === undefined ? undefined : defs[name]
    if (!target) return undefined
    const entry = { transform: undefined as Transform, pending: true }
    resolved.set(ref, entry)
    entry.transform = compile(target)
    entry.pending = false
    return entry.transform
  }
  return compile(root)
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

/** Applies per-property transforms to a copy of an object, and `rest` to the other properties. */
export function objectTransform(properties: Record<string, Transform>, rest: Transform): Transform {
  const entries = Object.entries(properties).filter((entry): entry is [string, NonNullable<Transform>] => entry[1] !== undefined)
  if (entries.length === 0 && !rest) return undefined
  return (value) => {
    if (!isPlainObject(value)) return value
    const result: Record<string, unknown> = { ...value }
    for (const key of Object.keys(result)) {
      const transform = Object.hasOwn(properties, key) ? properties[key] : rest
      if (transform) result[key] = transform(result[key])
    }
    return result
  }
}

/** Applies `items` to every element, or `prefixItems` by position then `items` to the rest. */
export function arrayTransform(prefix: Transform[], items: Transform, wrapSingle: boolean): Transform {
  if (!items && prefix.every((transform) => !transform) && !wrapSingle) return undefined
  return (value) => {
    const array = Array.isArray(value) ? value : wrapSingle && value !== undefined && value !== null && !isPlainObject(value) ? [value] : undefined
    if (!array) return value
    return array.map((item, index) => {
      const transform = index < prefix.length ? prefix[index] : items
      return transform ? transform(item) : item
    })
  }
}
