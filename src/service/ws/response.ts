/**
 * The messages a connection answers with, and their JSON text (docs/protocol.md, "Responses").
 *
 * @module
 */
import { WsErrorCode, type ErrorObject, type RequestId, type ResponseMessage } from '../../protocol/ws.js'
import { describeThrown } from '../thrown.js'

/** What running a call gives: its response (none for a notification or a stopped call), now or later. */
export type Outcome = ResponseMessage | undefined | Promise<ResponseMessage | undefined>

export function answer(id: RequestId | null, result: unknown): ResponseMessage {
  return { jsonrpc: '2.0', id, result: result ?? null }
}

export function failure(id: RequestId | null, error: ErrorObject): ResponseMessage {
  return { jsonrpc: '2.0', id, error }
}

/** Longest client text (a method name, an id) quoted in an error message, in characters. */
const QUOTED = 64

/** Client text quoted in an error message: as JSON, cut to QUOTED characters. */
export function quote(value: string | number): string {
  const text = String(value)
  return JSON.stringify(text.length > QUOTED ? `${text.slice(0, QUOTED)}…` : value)
}

/** Whether a handler returned a promise (or another thenable) to wait for. Never throws. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  try {
    return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
  } catch {
    // A `then` that throws when read: Promise.resolve turns that into the call's rejection.
    return true
  }
}

export function shuttingDownError(): ErrorObject {
  return { code: WsErrorCode.ServerShuttingDown, message: 'Server shutting down: the call did not finish in time; reconnect and send it again.' }
}

/**
 * The JSON of one message. A response whose result cannot be serialised becomes a -32603 error; a
 * notification that cannot is reported (`onUnsendable`) and becomes `''` (nothing to send).
 */
export function serialize(message: unknown, onUnsendable: (error: unknown) => void): string {
  try {
    // A result is written around JSON.stringify of the value alone: one of these per call. (An id
    // that is a number is a safe integer, checked on arrival: its text is its JSON.)
    const { id, result } = message as { id: RequestId; result?: unknown }
    if (result !== undefined) return `{"jsonrpc":"2.0","id":${typeof id === 'number' ? id : JSON.stringify(id)},"result":${JSON.stringify(result) ?? 'null'}}`
    return JSON.stringify(message)
  } catch (error) {
    const id = (message as { id?: RequestId }).id
    if (id === undefined) {
      onUnsendable(error)
      return ''
    }
    // A toJSON may throw anything: its description, never the value itself, goes in the message.
    const why = describeThrown(error).message
    return JSON.stringify(failure(id, { code: WsErrorCode.InternalError, message: `Internal error: the result cannot be sent as JSON (${why}).` }))
  }
}
