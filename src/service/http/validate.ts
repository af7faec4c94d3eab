/**
 * Request data validation: each route's path and request schemas are compiled once (TypeBox JIT)
 * and checked on every request; a failure is a 400 naming the first bad value (docs/errors.md).
 *
 * @module
 */
import type { ErrorBody } from '../../protocol/http.js'
import type { Schema } from '../../protocol/manifest.js'
import { HttpError } from '../errors.js'
import { compileCheck, escapePointer, findPollutingKey } from '../schema/check.js'

export type DataSource = 'path' | 'query' | 'body'

/** Checks (and for `path`/`query`, first coerces) a value; returns the decoded value or throws a 400. */
export type DataValidator = (value: unknown, source: DataSource) => unknown

/** Compiles `schema` once into a validator that answers a bad value with 400 naming it. */
export function compileValidator(schema: Schema): DataValidator {
  const check = compileCheck(schema)
  return (input, source) => {
    // Path and query values arrive as text; HTTP bodies are JSON and keep their types.
    const result = check(input, source !== 'body')
    if (result.ok) return result.value
    const { path, problem, value } = result.invalid
    const where = source === 'body' ? 'request body' : source === 'query' ? 'query string' : 'path'
    const body: ErrorBody = { message: `Invalid ${where}: ${path || '(root)'} ${problem}.`, path, in: source }
    if (value !== undefined) body.value = value
    throw badRequest(body)
  }
}

/** A 400 whose JSON body is exactly `body` (the responder sends `data` fields as the body). */
export function badRequest(body: ErrorBody): HttpError {
  return new HttpError(400, { message: body.message, res: Response.json(body, { status: 400 }) })
}




/** Rejects keys that could pollute prototypes (see `findPollutingKey`) with a 400. */
export function assertNoPollutingKeys(value: unknown, source: DataSource): void {
  const path = findPollutingKey(value)
  if (!path) return
  const key = path.slice(path.lastIndexOf('/') + 1)
  throw badRequest({ message: `Forbidden key at ${path}: "${key}" could pollute object prototypes; rename it.`, path, in: source })
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
