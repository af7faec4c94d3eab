/**
 * The WebSocket protocol shared by the server engine and the client: JSON-RPC 2.0 plus `$/`
 * extensions (docs/protocol.md).
 *
 * @module
 */

/** Path of the WebSocket endpoint, under the API prefix. */
export const WS_PATH = 'ws'

/** Methods of the protocol's own extensions. */
export const WsMethod = {
  /** Server → Client: one item of a subscription. */
  Next: '$/next',
  /** Client → Server: cancel a call in flight. */
  Cancel: '$/cancel',
  /** Client → Server: liveness check, answered with `"pong"`. */
  Ping: '$/ping',
  /** Client → Server: grants a subscription more items (flow control). */
  Credit: '$/credit',
  /** Client → Server: before a subscription's request, the last event id it received (resuming). */
  Resume: '$/resume',
  /** Server → Client: a push event outside any call (`ctx.connection.push`, or a topic broadcast). */
  Push: '$/push',
} as const

/** JSON-RPC error codes (HTTP errors thrown by handlers keep their HTTP status as the code). */
export const WsErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  ServerShuttingDown: -32001,
  ResyncRequired: -32002,
  RequestCancelled: -32800,
} as const

/** WebSocket close codes the server uses. */
export const WsCloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
} as const

export type RequestId = string | number

/** Client → Server: a call (a notification when `id` is absent). */
export interface RequestMessage {
  jsonrpc: '2.0'
  id?: RequestId
  method: string
  params?: unknown
}

/** Server → Client: the terminal response of a request. */
export type ResponseMessage =
  | { jsonrpc: '2.0'; id: RequestId | null; result: unknown }
  | { jsonrpc: '2.0'; id: RequestId | null; error: ErrorObject }

export interface ErrorObject {
  code: number
  message: string
  data?: unknown
}

/** Server → Client: one subscription item; `dropped` counts the items a lossy subscription dropped before it. */
export interface NextMessage {
  jsonrpc: '2.0'
  method: typeof WsMethod.Next
  params: { id: RequestId; value: unknown; dropped?: number; eventId?: string }
}

/** Server → Client: a push event; `topic` when it was broadcast to a topic the connection joined. */
export interface PushMessage {
  jsonrpc: '2.0'
  method: typeof WsMethod.Push
  params: { event: string; value: unknown; topic?: string }
}

/** Client → Server: grants subscription `id` `credit` more items; `lossy` (in the first grant) drops rather than pauses. */
export interface CreditMessage {
  jsonrpc: '2.0'
  method: typeof WsMethod.Credit
  params: { id: RequestId; credit: number; lossy?: boolean }
}

/** Client → Server: cancel the call `id`. */
export interface CancelMessage {
  jsonrpc: '2.0'
  method: typeof WsMethod.Cancel
  params: { id: RequestId }
}
