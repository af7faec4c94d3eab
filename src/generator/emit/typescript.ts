/**
 * Prints nodes as TypeScript types for the client manifest. Named types keep their names (and are
 * emitted as plain type aliases); in results, where values arrive as JSON, `Date` reads as
 * `string`, and a named type holding a date gets a `…Json` twin.
 *
 * @module
 */
import { containsDate, type Definition, type Node } from '../schema/ir.js'
import { printDoc, printKey, quote } from './code.js'

/** `in`: what the client sends (a `Date` may be passed); `out`: what it receives (JSON). */
export type Direction = 'in' | 'out'

export class TypeScriptPrinter {
  /** Definitions to emit, as `name@direction`, in first-use order. */
  private readonly used: { name: string; direction: Direction }[] = []
  private readonly usedKeys = new Set<string>()

  constructor(private readonly definitions: ReadonlyMap<string, Definition>) {}

  print(node: Node, direction: Direction, indent = ''): string {
    switch (node.kind) {
      case 'string':
      case 'number':
      case 'boolean':
      case 'null':
        return node.kind
      case 'literal':
        return typeof node.value === 'string' ? quote(node.value) : String(node.value)
      case 'date':
        return direction === 'in' ? 'Date' : 'string'
      case 'any':
        return direction === 'in' ? 'any' : 'unknown'
      case 'void':
        return direction === 'in' ? 'undefined' : 'void'
      case 'raw':
        return node.type
      case 'array': {
        const items = this.print(node.items, direction, indent)
        return /^[\w.]+$/.test(items) ? `${items}[]` : `Array<${items}>`
      }
      case 'tuple': {
        const items = node.items.map((item, index) => `${this.print(item, direction, indent)}${index >= node.minItems ? '?' : ''}`)
        if (node.rest) items.push(`...Array<${this.print(node.rest, direction, indent)}>`)
        return `[${items.join(', ')}]`
      }
      case 'object':
        return this.object(node, direction, indent)
      case 'union':
        return node.members.map((member) => this.print(member, direction, indent)).join(' | ')
      case 'ref':
        return this.ref(node.name, direction)
    }
  }

  /** The `export type …` declarations of every named type printed so far (and those they use). */
  declarations(): string {
    const out: string[] = []
    for (let i = 0; i < this.used.length; i++) {
      const { name, direction } = this.used[i]!
      const definition = this.definitions.get(name)!
      out.push(`${printDoc(definition.doc)}export type ${this.typeName(name, direction)} = ${this.print(definition.node, direction)}\n`)
    }
    return out.join('\n')
  }

  private object(node: Extract<Node, { kind: 'object' }>, direction: Direction, indent: string): string {
    const inner = `${indent}  `
    const members = node.properties.map((property) => ({
      doc: property.doc,
      text: `${printKey(property.name)}${property.optional ? '?' : ''}: ${this.print(property.node, direction, inner)}`,
    }))
    if (node.additional) members.push({ doc: undefined, text: `[key: string]: ${this.print(node.additional, direction, inner)}` })
    if (members.length === 0) return node.additional ? '{}' : 'Record<string, never>'
    const flat = `{ ${members.map((member) => member.text).join('; ')} }`
    if (flat.length <= 80 && !flat.includes('\n') && members.every((member) => !member.doc)) return flat
    return `{\n${members.map((member) => `${printDoc(member.doc, inner)}${inner}${member.text}`).join('\n')}\n${indent}}`
  }

  private ref(name: string, direction: Direction): string {
    const effective: Direction = direction === 'out' && containsDate({ kind: 'ref', name }, this.definitions) ? 'out' : 'in'
    const key = `${name}@${effective}`
    if (!this.usedKeys.has(key)) {
      this.usedKeys.add(key)
      this.used.push({ name, direction: effective })
    }
    return this.typeName(name, effective)
  }

  private typeName(name: string, direction: Direction): string {
    const base = name.replace(/\./g, '_')
    return direction === 'out' ? `${base}Json` : base
  }
}
