/**
 * Prints nodes as JSON Schema (the subset TypeBox compiles) for the server manifest. Named types
 * become shared constants; recursive ones go into the root schema's `$defs` with `$ref`s.
 *
 * @module
 */
import type { Definition, Node } from '../schema/ir.js'
import { identifier } from './code.js'

export class JsonSchemaPrinter {
  /** Non-recursive definitions used so far, to emit as constants (in dependency order). */
  readonly used: string[] = []
  /** The recursive definitions each used constant refers to. */
  private readonly reaches = new Map<string, Set<string>>()

  constructor(private readonly definitions: ReadonlyMap<string, Definition>) {}

  /** The schema of a root node (a route's path, request or params schema), `$defs` included. */
  root(node: Node): unknown {
    const recursive = new Set<string>()
    const schema = this.schema(node, recursive)
    if (recursive.size === 0) return schema
    const defs: Record<string, unknown> = {}
    // Recursive definitions can reach more recursive definitions: close over them.
    for (let added = true; added; ) {
      added = false
      for (const name of [...recursive].sort()) {
        if (name in defs) continue
        defs[name] = this.schema(this.definitions.get(name)!.node, recursive)
        added = true
      }
    }
    return { ...(schema as object), $defs: sortKeys(defs) }
  }

  /** The constant name a non-recursive definition is emitted under. */
  static constantName(name: string): string {
    return `${name.replace(/\./g, '_')}Schema`
  }

  private schema(node: Node, recursive: Set<string>): unknown {
    switch (node.kind) {
      case 'string':
        return { type: 'string', ...node.constraints }
      case 'number':
        return { type: 'number', ...node.constraints }
      case 'boolean':
        return { type: 'boolean' }
      case 'null':
        return { type: 'null' }
      case 'literal':
        return { const: node.value }
      case 'date':
        return { type: 'string', format: 'date-time', 'x-date': true }
      case 'any':
      case 'void':
      case 'raw':
        return {}
      case 'array':
        return { type: 'array', items: this.schema(node.items, recursive), ...node.constraints }
      case 'tuple': {
        const prefixItems = node.items.map((item) => this.schema(item, recursive))
        const items = node.rest ? this.schema(node.rest, recursive) : false
        const bounds = node.rest ? {} : { maxItems: node.items.length }
        return { type: 'array', prefixItems, items, minItems: node.minItems, ...bounds }
      }
      case 'object': {
        const properties: Record<string, unknown> = {}
        for (const property of node.properties) properties[property.name] = this.schema(property.node, recursive)
        const required = node.properties.filter((property) => !property.optional).map((property) => property.name)
        return {
          type: 'object',
          properties,
          ...(required.length > 0 ? { required } : {}),
          additionalProperties: node.additional ? this.schema(node.additional, recursive) : false,
          ...node.constraints,
        }
      }
      case 'union': {
        if (node.members.every((member) => member.kind === 'literal')) return { enum: node.members.map((member) => (member as { value: unknown }).value) }
        return { anyOf: node.members.map((member) => this.schema(member, recursive)) }
      }
      case 'ref': {
        const definition = this.definitions.get(node.name)!
        if (definition.recursive) {
          recursive.add(node.name)
          return { $ref: `#/$defs/${node.name}` }
        }
        this.use(definition, recursive)
        return identifier(JsonSchemaPrinter.constantName(node.name))
      }
    }
  }

  private use(definition: Definition, recursive: Set<string>) {
    let reaches = this.reaches.get(definition.name)
    if (!reaches) {
      reaches = new Set()
      this.reaches.set(definition.name, reaches)
      // Walk first so that the definitions it uses are emitted before it.
      this.schema(definition.node, reaches)
      this.used.push(definition.name)
    }
    // Its `$ref`s resolve against the root that embeds it: that root needs the `$defs`.
    for (const name of reaches) recursive.add(name)
  }

  /** The schema of a non-recursive definition, for its constant. */
  definition(name: string): unknown {
    return this.schema(this.definitions.get(name)!.node, new Set())
  }
}

function sortKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]]))
}
