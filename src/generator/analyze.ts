/**
 * Finds the exported routes of the route modules and describes each one by walking checker types:
 * method and path from literal types, path params, data, result format and result type for HTTP
 * routes; pattern and positional parameters for WebSocket routes.
 *
 * @module
 */
import type ts from 'typescript'
import type { HttpMethod, ResultFormat, WsPattern } from '../protocol/manifest.js'
import { parsePathParams } from '../protocol/path.js'
import type { Diagnostic } from './diagnostics.js'
import type { Node } from './schema/ir.js'
import { TypeWalker, WireTypeError } from './schema/from-type.js'

export interface HttpRouteInfo {
  protocol: 'http'
  name: string
  file: string
  method: HttpMethod
  path: string
  pathParams: { name: string; node: Node }[]
  /** The `data` argument: an object node, `raw` for FormData/Blob, or `any`. */
  data: Node
  format: ResultFormat
  /** The JSON result, or the item type of a stream; `void` for `response`. */
  result: Node
  doc?: string
}

export interface WsParam {
  name: string
  node: Node
  optional: boolean
  rest: boolean
}

export interface WsRouteInfo {
  protocol: 'ws'
  name: string
  file: string
  pattern: WsPattern
  params: WsParam[]
  /** The response (`r`), the item type (`s`), or `void` (`n`). */
  result: Node
  doc?: string
}

/** A push event (`export const x = pushEvent<T>('x')`): server → client, no handler. */
export interface PushEventInfo {
  protocol: 'push'
  /** The exported name. */
  name: string
  /** The name on the wire: the string literal given to `pushEvent`. */
  event: string
  file: string
  /** The event's value type. */
  value: Node
  doc?: string
}

export type RouteInfo = HttpRouteInfo | WsRouteInfo | PushEventInfo

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'])
const CONTEXT_NAMES = new Set(['ctx', 'context'])

export class RouteAnalyzer {
  readonly walker: TypeWalker
  private readonly checker: ts.TypeChecker

  constructor(
    private readonly ts: typeof import('typescript'),
    program: ts.Program,
    isUserFile: (file: ts.SourceFile) => boolean,
  ) {
    this.checker = program.getTypeChecker()
    this.walker = new TypeWalker(ts, this.checker, isUserFile)
  }

  /** Routes exported by `file`, in export order; problems are pushed to `diagnostics`. */
  analyzeFile(file: ts.SourceFile, diagnostics: Diagnostic[]): RouteInfo[] {
    const moduleSymbol = this.checker.getSymbolAtLocation(file)
    if (!moduleSymbol) return []
    const routes: RouteInfo[] = []
    this.collect(this.checker.getExportsOfModule(moduleSymbol), '', file, routes, diagnostics)
    return routes
  }

  private collect(symbols: ts.Symbol[], prefix: string, file: ts.SourceFile, routes: RouteInfo[], diagnostics: Diagnostic[]) {
    const { ts, checker } = this
    for (const exported of symbols) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      const name = prefix + exported.getName()
      if (symbol.flags & (ts.SymbolFlags.NamespaceModule | ts.SymbolFlags.ValueModule) && !(symbol.flags & ts.SymbolFlags.Variable)) {
        this.collect(checker.getExportsOfModule(symbol), `${name}.`, file, routes, diagnostics)
        continue
      }
      if (!(symbol.flags & ts.SymbolFlags.Variable)) continue
      const declaration = symbol.valueDeclaration ?? symbol.getDeclarations()?.[0]
      if (!declaration) continue
      const type = checker.getTypeOfSymbolAtLocation(symbol, declaration)
      const protocol = this.literalProperty(type, 'protocol')
      const isRoute = (protocol === 'http' || protocol === 'ws') && checker.getPropertyOfType(type, 'handler')
      const isPush = protocol === 'push' && checker.getPropertyOfType(type, 'publish')
      if (!isRoute && !isPush) continue
      const at = { route: name, node: declaration }
      try {
        routes.push(
          protocol === 'http' ? this.http(name, type, declaration, diagnostics) : protocol === 'ws' ? this.ws(name, type, declaration, diagnostics) : this.push(name, type, declaration),
        )
      } catch (error) {
        if (!(error instanceof RouteError)) throw error
        diagnostics.push(diagnosticAt(this.ts, 'error', `Route "${name}"${error.parameter ? `, ${error.parameter}` : ''}: ${error.message}`, error.node ?? at.node, name))
      }
    }
  }

  private http(name: string, type: ts.Type, declaration: ts.Declaration, diagnostics: Diagnostic[]): HttpRouteInfo {
    const method = this.literalProperty(type, 'method')
    const path = this.literalProperty(type, 'path')
    if (typeof method !== 'string' || !METHODS.has(method)) throw new RouteError('its method is not a literal HTTP method; define it with route(path).get(…) and friends', declaration)
    if (typeof path !== 'string') throw new RouteError('its path is not a string literal; pass a literal to route(path)', declaration)
    const signature = this.handlerSignature(type, declaration)
    const names = parsePathParams(path)
    const parameters = signature.getParameters()
    const typeAt = (index: number) => {
      const parameter = parameters[index]
      return parameter ? this.checker.getTypeOfSymbolAtLocation(parameter, declaration) : undefined
    }
    const pathParams = this.pathParams(names, names.length === 0 ? undefined : typeAt(0), declaration)
    const dataIndex = names.length === 0 ? 0 : 1
    const dataType = typeAt(dataIndex)
    // A handler that declares no `data` parameter takes none: its type is the `any` default, so
    // ask the handler function itself how many parameters it declares.
    const declared = handlerFunction(this.ts, declaration)?.parameters.length
    const data: Node =
      declared !== undefined && declared <= dataIndex
        ? { kind: 'object', properties: [] }
        : dataType
          ? this.walk(dataType, 'parameter "data"', declaration)
          : { kind: 'any' }
    const { format, result } = this.result(signature, declaration, diagnostics, name)
    return { protocol: 'http', name, file: declaration.getSourceFile().fileName, method: method as HttpMethod, path, pathParams, data, format, result, ...this.doc(declaration) }
  }

  private pathParams(names: string[], type: ts.Type | undefined, declaration: ts.Declaration): HttpRouteInfo['pathParams'] {
    if (names.length === 0) return []
    const node: Node = type ? this.walk(type, 'the path parameter', declaration) : { kind: 'string' }
    if (names.length === 1) return [{ name: names[0]!, node: node.kind === 'any' ? { kind: 'string' } : node }]
    const items = node.kind === 'tuple' ? node.items : node.kind === 'array' ? names.map(() => (node as { items: Node }).items) : names.map((): Node => ({ kind: 'string' }))
    return names.map((paramName, index) => ({ name: paramName, node: items[index] ?? { kind: 'string' } }))
  }

  private ws(name: string, type: ts.Type, declaration: ts.Declaration, diagnostics: Diagnostic[]): WsRouteInfo {
    const signature = this.handlerSignature(type, declaration)
    const parameters = signature.getParameters().map((symbol) => ({ symbol, declaration: symbol.valueDeclaration as ts.ParameterDeclaration | undefined }))
    const last = parameters.at(-1)
    if (last && this.isContextParameter(last.symbol, last.declaration, declaration)) parameters.pop()
    const params = parameters.map(({ symbol, declaration: parameter }): WsParam => {
      const rest = parameter?.dotDotDotToken !== undefined
      // `(b = 10)` inside route.ws is typed `any` by the loose handler signature: its default says more.
      let paramType =
        parameter?.initializer && !parameter.type
          ? this.checker.getBaseTypeOfLiteralType(this.checker.getTypeAtLocation(parameter.initializer))
          : this.checker.getTypeOfSymbolAtLocation(symbol, declaration)
      if (rest) paramType = this.checker.getIndexTypeOfType(paramType, this.ts.IndexKind.Number) ?? paramType
      const optional = parameter !== undefined && (parameter.questionToken !== undefined || parameter.initializer !== undefined)
      return { name: symbol.getName(), node: this.walk(paramType, `parameter "${symbol.getName()}"`, parameter ?? declaration), optional, rest }
    })
    const { format, result } = this.result(signature, declaration, diagnostics, name)
    if (format === 'response') throw new RouteError('WebSocket routes cannot return a Response; return a JSON value, nothing, or an async generator', declaration)
    const pattern: WsPattern = format === 'json-seq' ? 's' : result.kind === 'void' ? 'n' : 'r'
    return { protocol: 'ws', name, file: declaration.getSourceFile().fileName, pattern, params, result, ...this.doc(declaration) }
  }

  private push(name: string, type: ts.Type, declaration: ts.Declaration): PushEventInfo {
    const { ts, checker } = this
    const initializer = ts.isVariableDeclaration(declaration) ? declaration.initializer : undefined
    const nameArgument = initializer && ts.isCallExpression(initializer) ? initializer.arguments[0] : undefined
    const nameType = nameArgument && checker.getTypeAtLocation(nameArgument)
    if (!nameType?.isStringLiteral()) throw new RouteError("its name is not a string literal; declare it as `export const x = pushEvent<T>('x')`", declaration)
    // The value type is the third parameter of `publish(pubsub, topic, value)`.
    const publish = checker.getTypeOfSymbolAtLocation(checker.getPropertyOfType(type, 'publish')!, declaration).getCallSignatures()[0]
    const valueSymbol = publish?.getParameters()[2]
    const value = valueSymbol ? this.walk(checker.getTypeOfSymbolAtLocation(valueSymbol, declaration), 'the value', declaration) : { kind: 'any' as const }
    return { protocol: 'push', name, event: nameType.value, file: declaration.getSourceFile().fileName, value, ...this.doc(declaration) }
  }

  /** The trailing context parameter: typed `WsContext` (or an intersection with it), or an untyped `ctx`. */
  private isContextParameter(symbol: ts.Symbol, parameter: ts.ParameterDeclaration | undefined, at: ts.Node): boolean {
    // `ctx?: WsContext` is `WsContext | undefined`: look through the undefined.
    const type = this.checker.getNonNullableType(this.checker.getTypeOfSymbolAtLocation(symbol, at))
    const members = type.isIntersection() ? type.types : [type]
    if (members.some((member) => member.getSymbol()?.getName() === 'WsContext' || member.aliasSymbol?.getName() === 'WsContext')) return true
    return parameter !== undefined && parameter.type === undefined && CONTEXT_NAMES.has(symbol.getName())
  }

  private handlerSignature(type: ts.Type, declaration: ts.Declaration): ts.Signature {
    const handler = this.checker.getPropertyOfType(type, 'handler')!
    const signatures = this.checker.getTypeOfSymbolAtLocation(handler, declaration).getCallSignatures()
    if (signatures.length !== 1) throw new RouteError('its handler must be a function with exactly one signature', declaration)
    return signatures[0]!
  }

  private result(signature: ts.Signature, declaration: ts.Declaration, diagnostics: Diagnostic[], name: string): { format: ResultFormat; result: Node } {
    const returnType = signature.getReturnType()
    const item = this.asyncIterableItem(returnType)
    if (item) return { format: 'json-seq', result: this.walkItem(item, declaration) }
    const awaited = this.checker.getAwaitedType(returnType) ?? returnType
    if (this.isResponse(awaited)) return { format: 'response', result: { kind: 'void' } }
    if (awaited.flags & this.ts.TypeFlags.Any) {
      diagnostics.push(diagnosticAt(this.ts, 'warning', `Route "${name}": the result type is \`any\`, so the client sees \`unknown\`; annotate the handler's return type.`, declaration, name))
    }
    return { format: 'json', result: this.walk(awaited, 'the result', declaration) }
  }

  private asyncIterableItem(type: ts.Type): ts.Type | undefined {
    const iterator = this.checker.getPropertiesOfType(type).find((property) => property.getName().startsWith('__@asyncIterator'))
    if (!iterator) return undefined
    const args = this.checker.getTypeArguments(type as ts.TypeReference)
    if (args.length > 0) return args[0]
    const next = this.checker.getPropertyOfType(type, 'next')
    const nextType = next && this.checker.getTypeOfSymbol(next).getCallSignatures()[0]?.getReturnType()
    const result = nextType && this.checker.getAwaitedType(nextType)
    const value = result && this.checker.getPropertyOfType(this.checker.getNonNullableType(result), 'value')
    return value ? this.checker.getTypeOfSymbol(value) : undefined
  }

  /** A yielded value; `tracked(id, value)` items (wirerpc's `Tracked<T>`) reach the client as their `value`. */
  private walkItem(item: ts.Type, declaration: ts.Declaration): Node {
    const members = item.isUnion() ? item.types : [item]
    const valueOf = (member: ts.Type) => (this.checker.getPropertyOfType(member, '~wirerpc.tracked') ? this.checker.getPropertyOfType(member, 'value') : undefined)
    if (!members.some(valueOf)) return this.walk(item, 'the yielded value', declaration)
    const nodes = members.map((member) => {
      const value = valueOf(member)
      return this.walk(value ? this.checker.getTypeOfSymbol(value) : member, 'the yielded value', declaration)
    })
    return nodes.length === 1 ? nodes[0]! : { kind: 'union', members: nodes }
  }

  private isResponse(type: ts.Type): boolean {
    const members = type.isUnion() ? type.types : [type]
    return members.some((member) => {
      const symbolName = member.getSymbol()?.getName()
      return symbolName === 'Response' || (this.checker.getPropertyOfType(member, 'bodyUsed') !== undefined && this.checker.getPropertyOfType(member, 'clone') !== undefined && this.checker.getPropertyOfType(member, 'status') !== undefined)
    })
  }

  private walk(type: ts.Type, parameter: string, node: ts.Node): Node {
    try {
      return this.walker.walk(type)
    } catch (error) {
      if (error instanceof WireTypeError) throw new RouteError(error.message, node, parameter)
      throw error
    }
  }

  private literalProperty(type: ts.Type, name: string): string | undefined {
    const property = this.checker.getPropertyOfType(type, name)
    if (!property) return undefined
    const value = this.checker.getTypeOfSymbol(property)
    return value.isStringLiteral() ? value.value : undefined
  }

  private doc(declaration: ts.Declaration): { doc?: string } {
    const symbol = (declaration as { name?: ts.Node }).name && this.checker.getSymbolAtLocation((declaration as unknown as { name: ts.Node }).name)
    if (!symbol) return {}
    const text = this.ts.displayPartsToString(symbol.getDocumentationComment(this.checker))
    const tags = symbol.getJsDocTags(this.checker).map((tag) => `@${tag.name}${tag.text ? ` ${this.ts.displayPartsToString(tag.text)}` : ''}`)
    const doc = [text, ...tags].filter(Boolean).join('\n')
    return doc ? { doc } : {}
  }
}

/** The function passed to `route(…).get(fn)` / `route.ws(fn)` in `export const x = …`, if written there. */
function handlerFunction(ts: typeof import('typescript'), declaration: ts.Declaration): ts.SignatureDeclaration | undefined {
  const initializer = ts.isVariableDeclaration(declaration) ? declaration.initializer : undefined
  if (!initializer || !ts.isCallExpression(initializer)) return undefined
  const handler = initializer.arguments.at(-1)
  return handler && (ts.isArrowFunction(handler) || ts.isFunctionExpression(handler)) ? handler : undefined
}

class RouteError extends Error {
  constructor(
    message: string,
    readonly node?: ts.Node,
    readonly parameter?: string,
  ) {
    super(message)
  }
}

export function diagnosticAt(ts: typeof import('typescript'), severity: Diagnostic['severity'], message: string, node: ts.Node, route?: string): Diagnostic {
  const file = node.getSourceFile()
  const { line, character } = file.getLineAndCharacterOfPosition(node.getStart())
  return { severity, message, file: file.fileName, line: line + 1, column: character + 1, ...(route ? { route } : {}) }
}
