/**
 * A schema compiled for request data: a text coercer (for path and query values), the JIT-compiled
 * TypeBox check, and a reviver for `Date`s. Shared by the HTTP layer (400) and the WebSocket
 * engine (-32602).
 *
 * @module
 */
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import type { Schema } from '../../protocol/manifest.js'
import { compileCoercer } from './coerce.js'
import { compileReviver } from './revive.js'
import type { JsonSchema } from './walk.js'

/** The first bad value: where it is (a JSON pointer), what is wrong, and the value when short. */
export interface Invalid {
  path: string
  problem: string
  value?: unknown
}

export type CheckResult = { ok: true; value: unknown } | { ok: false; invalid: Invalid }

/** Values longer than this (as JSON) are not echoed back in errors. */
const MAX_ECHOED_VALUE_LENGTH = 200

/**
 * Compiles `schema` once. The returned check coerces text first when `fromText` is set (path and
 * query values), then checks, then revives dates.
 */
export function compileCheck(schema: Schema): (input: unknown, fromText: boolean) => CheckResult {
  const validator = Compile(schema as TSchema)
  const coerce = compileCoercer(schema as JsonSchema)
  const revive = compileReviver(schema as JsonSchema)
  return (input, fromText) => {
    const value = fromText && coerce ? coerce(input) : input
    if (validator.Check(value)) return { ok: true, value: revive ? revive(value) : value }
    return { ok: false, invalid: describe(value, validator.Errors(value)[0]) }
  }
}

interface SchemaError {
  keyword: string
  schemaPath: string
  instancePath: string
  params: Record<string, unknown>
  message: string
}

function describe(root: unknown, error: SchemaError | undefined): Invalid {
  if (!error) return { path: '', problem: 'is invalid' }
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
  } else if (error.keyword === 'boolean' && error.schemaPath.endsWith('/items')) {
    problem = 'is one value too many'
  }
  const invalid: Invalid = { path, problem }
  const value = valueAt(root, path)
  if (value !== undefined) {
    const json = safeStringify(value)
    if (json !== undefined && json.length <= MAX_ECHOED_VALUE_LENGTH) invalid.value = value
  }
  return invalid
}

export function escapePointer(key: string): string {
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
 * The JSON pointer of the first key that could pollute prototypes when the value is merged into
 * another object: `__proto__` anywhere, and `prototype` under `constructor`. `undefined` if none.
 */
export function findPollutingKey(value: unknown, path = ''): string | undefined {
  const found = pollutingKey(value)
  return found === undefined ? undefined : path + found
}

/** The pointer below `value`, built only on the way back from a find: the clean case (every call) builds no string. */
function pollutingKey(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = pollutingKey(value[index])
      if (found !== undefined) return `/${index}${found}`
    }
    return undefined
  }
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key]
    if (key === '__proto__' || (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype'))) return `/${escapePointer(key)}`
    const found = pollutingKey(child)
    if (found !== undefined) return `/${escapePointer(key)}${found}`
  }
  return undefined
}
