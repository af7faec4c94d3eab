/**
 * The generator's intermediate form of a type: what crosses the wire, walked once from the
 * TypeScript checker, then printed both as JSON Schema (server manifest) and as TypeScript (client
 * manifest).
 *
 * @module
 */

/** Schema options from `t` constraint tags (`maxLength`, `minimum`, …). */
export type Constraints = Readonly<Record<string, string | number | boolean>>

export type Node =
  | { kind: 'string'; constraints?: Constraints }
  | { kind: 'number'; constraints?: Constraints }
  | { kind: 'boolean' }
  | { kind: 'null' }
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'date' }
  /** `any` and `unknown`: any JSON value. */
  | { kind: 'any' }
  /** `void`/`undefined` results: nothing is sent. */
  | { kind: 'void' }
  | { kind: 'array'; items: Node; constraints?: Constraints }
  | { kind: 'tuple'; items: Node[]; minItems: number; rest?: Node }
  | { kind: 'object'; properties: Property[]; additional?: Node; constraints?: Constraints }
  | { kind: 'union'; members: Node[] }
  | { kind: 'ref'; name: string }
  /** `FormData` / `Blob` request data: a raw body, not JSON. */
  | { kind: 'raw'; type: 'FormData' | 'Blob' }

export interface Property {
  name: string
  node: Node
  optional: boolean
  doc?: string
}

/** A named type (interface, type alias, enum) that nodes refer to with `{ kind: 'ref', name }`. */
export interface Definition {
  name: string
  node: Node
  doc?: string
  /** Part of a reference cycle: the JSON Schema printer uses `$defs`/`$ref` for it. */
  recursive: boolean
}

/** Whether a node, or a definition it reaches, holds a `Date`. */
export function containsDate(node: Node, definitions: ReadonlyMap<string, Definition>, seen = new Set<string>()): boolean {
  switch (node.kind) {
    case 'date':
      return true
    case 'array':
      return containsDate(node.items, definitions, seen)
    case 'tuple':
      return node.items.some((item) => containsDate(item, definitions, seen)) || (node.rest !== undefined && containsDate(node.rest, definitions, seen))
    case 'object':
      return node.properties.some((property) => containsDate(property.node, definitions, seen)) || (node.additional !== undefined && containsDate(node.additional, definitions, seen))
    case 'union':
      return node.members.some((member) => containsDate(member, definitions, seen))
    case 'ref': {
      if (seen.has(node.name)) return false
      seen.add(node.name)
      const definition = definitions.get(node.name)
      return definition !== undefined && containsDate(definition.node, definitions, seen)
    }
    default:
      return false
  }
}
