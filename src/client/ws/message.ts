/**
 * The one message shape the client sends for a call.
 *
 * @module
 */

/** Writes the JSON-RPC messages of calls to `method` (a notification when `id` is absent). */
export type MessageWriter = (params: unknown[] | undefined, id?: number) => string

/** The writer of `method`'s messages: the method's JSON is made once, not once per call. */
export function messageWriter(method: string): MessageWriter {
  const methodJson = `"method":${JSON.stringify(method)}`
  return (params, id) => {
    // Built as text rather than through an object literal with spreads: one of these per call.
    let text: string
    try {
      text = params === undefined ? '' : `,"params":${JSON.stringify(params)}`
    } catch (error) {
      throw new TypeError(`The arguments of WebSocket call "${method}" cannot be sent as JSON: ${(error as Error).message}`, { cause: error })
    }
    return id === undefined ? `{"jsonrpc":"2.0",${methodJson}${text}}` : `{"jsonrpc":"2.0","id":${id},${methodJson}${text}}`
  }
}

/** The JSON-RPC message of one call (a notification when `id` is absent). */
export function requestText(method: string, params: unknown[] | undefined, id?: number): string {
  return messageWriter(method)(params, id)
}
