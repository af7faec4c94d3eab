/**
 * Walks checker types (`ts.Type`) into the generator's node form (`ir.ts`). Working on checker
 * types, not syntax, is what makes inferred, imported, aliased and generic types work. Types that
 * cannot cross the wire (functions, symbols, bigint, class instances other than `Date`, `Map`,
 * `Set`) throw a `WireTypeError` naming the offending type and where it sits.
 *
 * @module
 */
import type ts from 'typescript'
import type { Constraints, Definition, Node, Property } from './ir.js'

export class WireTypeError extends Error {
  constructor(
    /** Why the type cannot cross the wire, and what to do. */
    readonly reason: string,
    /** The offending type, as TypeScript prints it. */
    readonly typeText: string,
    /** Where in the walked type it sits, such as `.filter.callback` (empty at the top). */
    readonly path: string,
  ) {
    super(`${reason} (type \`${typeText}\`${path ? ` at \`${path}\`` : ''})`)
  }
}

/** Built-in classes with a JSON-less instance shape, named in errors. */
const NOT_SERIALIZABLE = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'RegExp', 'Error', 'Promise', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'URL', 'Headers', 'Request', 'Response', 'ReadableStream'])

export class TypeWalker {
  /** Named types met so far, in first-met order (the output order). */
  readonly definitions = new Map<string, Definition>()
  private readonly names = new Map<ts.Type, string>()
  private readonly inProgress = new Set<ts.Type>()

  constructor(
    private readonly ts: typeof import('typescript'),
    private readonly checker: ts.TypeChecker,
    /** True for files whose named types should be named in the output (not libraries). */
    private readonly isUserFile: (file: ts.SourceFile) => boolean,
  ) {}

  /** Walks `type`; throws `WireTypeError` for a type that cannot cross the wire. */
  walk(type: ts.Type, path = ''): Node {
    const name = this.nameOf(type)
    if (name === undefined) return this.structure(type, path)
    const known = this.names.get(type)
    if (known !== undefined) {
      if (this.inProgress.has(type)) this.definitions.get(known)!.recursive = true
      return { kind: 'ref', name: known }
    }
    const unique = this.uniqueName(name)
    this.names.set(type, unique)
    const definition: Definition = { name: unique, node: { kind: 'any' }, recursive: false, ...this.docOf(type) }
    this.definitions.set(unique, definition)
    this.inProgress.add(type)
    try {
      definition.node = this.structure(type, path)
    } finally {
      this.inProgress.delete(type)
    }
    return { kind: 'ref', name: unique }
  }

  /** The printed form of a type, for messages. */
  print(type: ts.Type): string {
    return this.checker.typeToString(type, undefined, this.ts.TypeFormatFlags.NoTruncation)
  }

  private structure(type: ts.Type, path: string): Node {
    const { ts } = this
    const flags = type.flags
    if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { kind: 'any' }
    if (flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined)) return { kind: 'void' }
    if (flags & ts.TypeFlags.Null) return { kind: 'null' }
    if (flags & ts.TypeFlags.StringLiteral) return { kind: 'literal', value: (type as ts.StringLiteralType).value }
    if (flags & ts.TypeFlags.NumberLiteral) return { kind: 'literal', value: (type as ts.NumberLiteralType).value }
    if (flags & ts.TypeFlags.BooleanLiteral) return { kind: 'literal', value: (type as { intrinsicName?: string }).intrinsicName === 'true' }
    if (flags & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral | ts.TypeFlags.StringMapping)) return { kind: 'string' }
    if (flags & ts.TypeFlags.Number) return { kind: 'number' }
    if (flags & ts.TypeFlags.Boolean) return { kind: 'boolean' }
    if (flags & (ts.TypeFlags.BigInt | ts.TypeFlags.BigIntLiteral)) throw this.error('bigint cannot cross the wire: JSON has no bigint; send it as a string', type, path)
    if (flags & (ts.TypeFlags.ESSymbol | ts.TypeFlags.UniqueESSymbol)) throw this.error('symbols cannot cross the wire: use a string', type, path)
    if (flags & ts.TypeFlags.Never) throw this.error('`never` cannot cross the wire', type, path)
    if (type.isUnion()) return this.union(type, path)
    if (type.isIntersection()) return this.intersection(type, path)
    if (flags & ts.TypeFlags.NonPrimitive) return { kind: 'object', properties: [], additional: { kind: 'any' } }
    if (flags & ts.TypeFlags.Object) return this.object(type as ts.ObjectType, path)
    throw this.error('this type cannot cross the wire', type, path)
  }

  private union(type: ts.UnionType, path: string): Node {
    const { TypeFlags } = this.ts
    const optional = type.types.some((member) => member.flags & (TypeFlags.Undefined | TypeFlags.Void))
    if (optional) {
      // `Role | undefined` (an optional property) is a new union without Role's alias: strip the
      // undefined through the checker, which gives back the named type.
      const base = this.checker.getNonNullableType(type)
      if (base !== type && !(base.flags & TypeFlags.Never)) {
        const node = this.walk(base, path)
        return type.types.some((member) => member.flags & TypeFlags.Null) ? { kind: 'union', members: [{ kind: 'null' }, node] } : node
      }
    }
    const types = type.types.filter((member) => !(member.flags & (TypeFlags.Undefined | TypeFlags.Void)))
    const members: Node[] = []
    let booleans = 0
    for (const member of types) {
      if (member.flags & this.ts.TypeFlags.BooleanLiteral) booleans++
      members.push(this.walk(member, path))
    }
    // `boolean` reaches us as `true | false`.
    const merged = booleans === 2 ? [...members.filter((member) => !(member.kind === 'literal' && typeof member.value === 'boolean')), { kind: 'boolean' } as Node] : members
    if (merged.length === 0) return { kind: 'void' }
    return merged.length === 1 ? merged[0]! : { kind: 'union', members: merged }
  }

  private intersection(type: ts.IntersectionType, path: string): Node {
    let constraints: Record<string, string | number | boolean> = {}
    const rest: ts.Type[] = []
    for (const member of type.types) {
      const found = this.constraintOf(member)
      if (found) constraints = { ...constraints, ...found }
      else rest.push(member)
    }
    // A primitive wins over object members: `string & { __brand: 'UserId' }` is a string.
    const primitive = rest.find((member) => !(member.flags & this.ts.TypeFlags.Object))
    const base: Node =
      primitive !== undefined
        ? this.walk(primitive, path)
        : rest.length === 1
          ? this.walk(rest[0]!, path)
          : this.object(type as unknown as ts.ObjectType, path)
    return Object.keys(constraints).length === 0 ? base : withConstraints(base, constraints, () => this.error('constraint tags apply to strings, numbers, arrays and objects', type, path))
  }

  /** The options of a `t.*` constraint tag, or `undefined` for other types. */
  private constraintOf(type: ts.Type): Constraints | undefined {
    if (!(type.flags & this.ts.TypeFlags.Object) || type.getSymbol()?.getName() !== 'Constraint') return undefined
    const marker = this.checker.getPropertiesOfType(type).find((property) => property.getName().startsWith('__@constraint'))
    if (!marker) return undefined
    const options = this.checker.getNonNullableType(this.checker.getTypeOfSymbol(marker))
    const constraints: Record<string, string | number | boolean> = {}
    for (const property of this.checker.getPropertiesOfType(options)) {
      const value = this.checker.getTypeOfSymbol(property)
      if (value.isStringLiteral() || value.isNumberLiteral()) constraints[property.getName()] = value.value
      else if (value.flags & this.ts.TypeFlags.BooleanLiteral) constraints[property.getName()] = (value as { intrinsicName?: string }).intrinsicName === 'true'
    }
    return constraints
  }

  private object(type: ts.ObjectType, path: string): Node {
    const { ts, checker } = this
    const symbolName = type.getSymbol()?.getName()
    if (this.isLibType(type)) {
      if (symbolName === 'Date') return { kind: 'date' }
      if (symbolName === 'FormData' || symbolName === 'Blob' || symbolName === 'File') return { kind: 'raw', type: symbolName === 'FormData' ? 'FormData' : 'Blob' }
    }
    if (checker.isTupleType(type)) return this.tuple(type as ts.TupleTypeReference, path)
    if (checker.isArrayType(type)) return { kind: 'array', items: this.walk(checker.getTypeArguments(type as ts.TypeReference)[0]!, `${path}[]`) }
    if (checker.getSignaturesOfType(type, ts.SignatureKind.Call).length > 0 || checker.getSignaturesOfType(type, ts.SignatureKind.Construct).length > 0) {
      throw this.error('functions cannot cross the wire: remove it from the type, or send data the other side can act on', type, path)
    }
    if (symbolName && NOT_SERIALIZABLE.has(symbolName) && this.isLibType(type)) {
      throw this.error(`${symbolName} cannot cross the wire: convert it to plain data (an array, an object or a string)`, type, path)
    }
    if (type.getSymbol() && type.getSymbol()!.flags & ts.SymbolFlags.Class) {
      throw this.error('class instances cannot cross the wire (only Date is converted): send a plain object type instead', type, path)
    }
    const properties: Property[] = []
    for (const property of checker.getPropertiesOfType(type)) {
      const name = property.getName()
      if (name.startsWith('__@')) continue
      const propertyType = checker.getTypeOfSymbol(property)
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0 || acceptsUndefined(ts, propertyType)
      const doc = ts.displayPartsToString(property.getDocumentationComment(checker))
      properties.push({ name, node: this.walk(propertyType, `${path}.${name}`), optional, ...(doc ? { doc } : {}) })
    }
    const index = checker.getIndexInfosOfType(type).find((info) => !(info.keyType.flags & ts.TypeFlags.ESSymbol))
    return index ? { kind: 'object', properties, additional: this.walk(index.type, `${path}[key]`) } : { kind: 'object', properties }
  }

  private tuple(type: ts.TupleTypeReference, path: string): Node {
    const { ts } = this
    const flags = type.target.elementFlags
    const args = this.checker.getTypeArguments(type)
    const items: Node[] = []
    let rest: Node | undefined
    let minItems = 0
    args.forEach((arg, index) => {
      const flag = flags[index]!
      if (flag & (ts.ElementFlags.Rest | ts.ElementFlags.Variadic)) {
        rest = this.walk(flag & ts.ElementFlags.Variadic ? this.checker.getTypeArguments(arg as ts.TypeReference)[0] ?? arg : arg, `${path}[${index}]`)
        return
      }
      if (rest) throw this.error('elements after a rest element cannot be validated; put the rest element last', type, path)
      if (flag & ts.ElementFlags.Required) minItems = index + 1
      items.push(this.walk(arg, `${path}[${index}]`))
    })
    return rest ? { kind: 'tuple', items, minItems, rest } : { kind: 'tuple', items, minItems }
  }

  /** The name a type is emitted under: user-declared interfaces, aliases and enums. */
  private nameOf(type: ts.Type): string | undefined {
    const { ts } = this
    if (type.aliasSymbol && !type.aliasTypeArguments?.length && this.declaredByUser(type.aliasSymbol)) return type.aliasSymbol.getName()
    const symbol = type.getSymbol()
    if (!symbol || !this.declaredByUser(symbol)) return undefined
    if (type.flags & ts.TypeFlags.EnumLiteral && type.isUnion()) return symbol.getName()
    const isInterface = (symbol.flags & ts.SymbolFlags.Interface) !== 0
    const isGenericInstance = (type as ts.TypeReference).typeArguments !== undefined && ((type as ts.TypeReference).typeArguments?.length ?? 0) > 0
    return isInterface && !isGenericInstance ? symbol.getName() : undefined
  }

  private declaredByUser(symbol: ts.Symbol): boolean {
    const declaration = symbol.getDeclarations()?.[0]
    return declaration !== undefined && this.isUserFile(declaration.getSourceFile())
  }

  private isLibType(type: ts.Type): boolean {
    const declaration = type.getSymbol()?.getDeclarations()?.[0]
    return declaration === undefined || !this.isUserFile(declaration.getSourceFile())
  }

  private uniqueName(name: string): string {
    let unique = name
    for (let i = 2; this.definitions.has(unique); i++) unique = `${name}_${i}`
    return unique
  }

  private docOf(type: ts.Type): { doc?: string } {
    const symbol = type.aliasSymbol ?? type.getSymbol()
    const doc = symbol ? this.ts.displayPartsToString(symbol.getDocumentationComment(this.checker)) : ''
    return doc ? { doc } : {}
  }

  private error(reason: string, type: ts.Type, path: string): WireTypeError {
    return new WireTypeError(reason, this.print(type), path)
  }
}

function acceptsUndefined(ts: typeof import('typescript'), type: ts.Type): boolean {
  return type.isUnion() && type.types.some((member) => (member.flags & ts.TypeFlags.Undefined) !== 0)
}

function withConstraints(node: Node, constraints: Constraints, fail: () => Error): Node {
  switch (node.kind) {
    case 'string':
    case 'number':
    case 'array':
    case 'object':
      return { ...node, constraints: { ...node.constraints, ...constraints } }
    case 'ref':
      // A tagged alias (`type Title = string & t.MaxLength<9>`) arrives as a ref; tags on top of a
      // named object or array type are not supported yet.
      throw fail()
    default:
      throw fail()
  }
}
