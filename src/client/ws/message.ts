/**
 * The one message shape the client sends for a call.
 *
 * @module
 */

/** The JSON-RPC message of a call (a notification when `id` is absent). */
export function requestText(method: string, params: unknown[] | undefined, id?: number): string {
  try {
    return JSON.stringify({ jsonrpc: '2.0', ...(id === undefined ? {} : { id }), method, ...(params ? { params } : {}) })
  } catch (error) {
    throw new TypeError(`The arguments of WebSocket call "${method}" cannot be sent as JSON: ${(error as Error).message}`, { cause: error })
  }
}
