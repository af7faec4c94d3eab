/**
 * Reading client frames: the depth limit (checked on the text, before parsing), JSON parsing, and
 * the JSON-RPC envelope rules (docs/protocol.md).
 *
 * @module
 */
import { WsErrorCode, type ErrorObject, type RequestId } from '../../protocol/ws.js'
import { nestedTooDeep } from '../json-depth.js'

/** A well-formed call: a request (with `id`) or a notification. */
export interface Call {
  id: RequestId | undefined
  method: string
  params: unknown[]
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: ErrorObject }

/** Parses a text frame after checking its nesting depth on the raw text. */
export function parseFrame(text: string, maxDepth: number): Parsed {
  if (nestedTooDeep(text, maxDepth)) {
    return { ok: false, error: { code: WsErrorCode.InvalidRequest, message: `Invalid request: JSON nested deeper than ${maxDepth} levels (maxDepth).` } }
  }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    return { ok: false, error: { code: WsErrorCode.ParseError, message: `Parse error: the frame is not JSON (${(error as Error).message}).` } }
  }
}

/** A well-formed call (one object per message: the call itself), or why the message is not one. */
export type Envelope = ({ ok: true } & Call) | { ok: false; id: RequestId | null; error: ErrorObject }

/** Checks one message against the JSON-RPC 2.0 request rules. */
export function readEnvelope(message: unknown): Envelope {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return invalid(null, 'a message must be a JSON object (or an array of them)')
  }
  const { jsonrpc, id, method, params } = message as Record<string, unknown>
  const readableId = isId(id) ? id : null
  if (jsonrpc !== '2.0') return invalid(readableId, '"jsonrpc" must be "2.0"')
  if (id !== undefined && !isId(id)) return invalid(null, '"id" must be a string or an integer')
  if (typeof method !== 'string' || method === '') return invalid(readableId, '"method" must be a non-empty string')
  if (params !== undefined && !Array.isArray(params)) {
    if (method.startsWith('$/')) return { ok: true, id: id as RequestId | undefined, method, params: [params] }
    return {
      ok: false,
      id: readableId,
      error: { code: WsErrorCode.InvalidParams, message: 'Invalid params: "params" must be an array of positional arguments (by-name params are not supported).' },
    }
  }
  return { ok: true, id: id as RequestId | undefined, method, params: (params as unknown[] | undefined) ?? [] }
}

function isId(value: unknown): value is RequestId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value))
}

function invalid(id: RequestId | null, reason: string): Envelope {
  return { ok: false, id, error: { code: WsErrorCode.InvalidRequest, message: `Invalid request: ${reason}.` } }
}
