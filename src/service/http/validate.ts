/**
 * Request data validation: each route's path and request schemas are compiled once (TypeBox JIT)
 * and checked on every request; a failure is a 400 naming the first bad value (docs/errors.md).
 *
 * @module
 */
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import type { ErrorBody } from '../../protocol/http.js'
import type { Schema } from '../../protocol/manifest.js'
import { HttpError } from '../errors.js'
import { compileCoercer } from '../schema/coerce.js'
import { compileReviver } from '../schema/revive.js'
import type { JsonSchema } from '../schema/walk.js'

export type DataSource = 'path' | 'query' | 'body'

/** Checks (and for `path`/`query`, first coerces) a value; returns the decoded value or throws a 400. */
export type DataValidator = (value: unknown, source: DataSource) => unknown

/** Values longer than this (as JSON) are not echoed back in a 400 body. */
const MAX_ECHOED_VALUE_LENGTH = 200

/**
 * Compiles `schema` (plain JSON Schema, or TypeBox-built) into: a text coercer for path and query
 * values, the JIT-compiled check, and a reviver that turns `x-date` strings into `Date`s.
 */
export function compileValidator(schema: Schema): DataValidator {
  const validator = Compile(schema as TSchema)
  const coerce = compileCoercer(schema as JsonSchema)
  const revive = compileReviver(schema as JsonSchema)
  return (input, source) => {
    // Path and query values arrive as text; HTTP bodies are JSON and keep their types.
    const value = source !== 'body' && coerce ? coerce(input) : input
    if (!validator.Check(value)) {
      const error = validator.Errors(value)[0]
      throw validationError(source, value, error)
    }
    return revive ? revive(value) : value
  }
}

interface SchemaError {
  keyword: string
  schemaPath: string
  instancePath: string
  params: Record<string, unknown>
  message: string
}

function validationError(source: DataSource, root: unknown, error: SchemaError | undefined): HttpError {
  const where = source === 'body' ? 'request body' : source === 'query' ? 'query string' : 'path'
  if (!error) return badRequest({ message: `Invalid ${where}.`, in: source })
  let path = error.instancePath
  let problem = error.message
  const extra = error.params['additionalProperties']
  if (Array.isArray(extra) && extra.length > 0) {
    path = `${path}/${escapePointer(String(extra[0]))}`
    problem = 'is not a known property; remove it'
  } else if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) {
    problem = 'is not a known property; remove it'
  } else if (error.keyword === 'required' && Array.isArray(error.params['requiredProperties'])) {
    path = `${path}/${escapePointer(String(error.params['requiredProperties'][0]))}`
    problem = 'is required'
  }
  const body: ErrorBody = { message: `Invalid ${where}: ${path || '(root)'} ${problem}.`, path, in: source }
  const value = valueAt(root, path)
  if (value !== undefined) {
    const json = safeStringify(value)
    if (json !== undefined && json.length <= MAX_ECHOED_VALUE_LENGTH) body.value = value
  }
  return badRequest(body)
}

/** A 400 whose JSON body is exactly `body` (the responder sends `data` fields as the body). */
export function badRequest(body: ErrorBody): HttpError {
  return new HttpError(400, { message: body.message, res: Response.json(body, { status: 400 }) })
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

function valueAt(root: unknown, pointer: string): unknown {
  let value = root
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}

/**
 * Rejects keys that could pollute prototypes when the data is later merged into another object:
 * `__proto__` anywhere, and `prototype` under `constructor`.
 */
export function assertNoPollutingKeys(value: unknown, source: DataSource, path = ''): void {
  if (typeof value !== 'object' || value === null) return
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key]
    const childPath = `${path}/${escapePointer(key)}`
    if (key === '__proto__' || (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype'))) {
      throw badRequest({ message: `Forbidden key at ${childPath}: "${key}" could pollute object prototypes; rename it.`, path: childPath, in: source })
    }
    assertNoPollutingKeys(child, source, childPath)
  }
}

/** Checks the raw keys of a query string (the parser drops `__proto__` silently, so look before). */
export function assertNoPollutingQueryKeys(search: string): void {
  // Cheap pre-check: a forbidden key needs the letters "proto", or percent-encoding to hide them.
  if (!search.includes('proto') && !search.includes('%')) return
  for (const key of new URLSearchParams(search).keys()) {
    const parts = key.split(/[[\].]+/).filter(Boolean)
    const index = parts.findIndex((part, i) => part === '__proto__' || (part === 'constructor' && parts[i + 1] === 'prototype'))
    if (index >= 0) {
      const path = '/' + parts.slice(0, index + 1).map(escapePointer).join('/')
      throw badRequest({ message: `Forbidden key at ${path}: "${parts[index]}" could pollute object prototypes; rename it.`, path, in: 'query' })
    }
  }
}
