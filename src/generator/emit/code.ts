/**
 * Prints JavaScript values as source code: deterministic, formatted, single-quoted, with
 * identifiers (references to other emitted constants) where `identifier()` marks them.
 *
 * @module
 */

const kIdentifier = Symbol('identifier')

export interface Identifier {
  readonly [kIdentifier]: string
}

/** A value printed as a bare identifier or expression, such as a shared schema constant. */
export function identifier(name: string): Identifier {
  return { [kIdentifier]: name }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** Prints `value`; short values stay on one line (up to `width` characters). */
export function printValue(value: unknown, indent = '', width = 100): string {
  const flat = printFlat(value)
  if (flat.length + indent.length <= width) return flat
  const inner = `${indent}  `
  if (Array.isArray(value)) return `[\n${value.map((item) => `${inner}${printValue(item, inner, width)},`).join('\n')}\n${indent}]`
  if (isPlainObject(value)) {
    const lines = Object.entries(value).map(([key, item]) => `${inner}${printKey(key)}: ${printValue(item, inner, width)},`)
    return `{\n${lines.join('\n')}\n${indent}}`
  }
  return flat
}

function printFlat(value: unknown): string {
  if (typeof value === 'object' && value !== null && kIdentifier in value) return (value as Identifier)[kIdentifier]
  if (typeof value === 'string') return quote(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  if (Array.isArray(value)) return `[${value.map(printFlat).join(', ')}]`
  if (isPlainObject(value)) {
    const entries = Object.entries(value).map(([key, item]) => `${printKey(key)}: ${printFlat(item)}`)
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`
  }
  throw new TypeError(`Cannot print ${String(value)} as code.`)
}

export function printKey(key: string): string {
  return IDENTIFIER.test(key) ? key : quote(key)
}

export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}'`
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(kIdentifier in value)
}

/** A JSDoc block for `text` at `indent`, or nothing. */
export function printDoc(text: string | undefined, indent = ''): string {
  if (!text) return ''
  const lines = text.replace(/\*\//g, '*\\/').split('\n')
  return lines.length === 1 ? `${indent}/** ${lines[0]} */\n` : `${indent}/**\n${lines.map((line) => `${indent} *${line ? ` ${line}` : ''}`).join('\n')}\n${indent} */\n`
}
