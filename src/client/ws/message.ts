/**
 * The one message shape the client sends for a call.
 *
 * @module
 */

/** The JSON-RPC message of a call (a notification when `id` is absent). */
export function requestText(method: string, params: unknown[] | undefined, id?: number): string {
  // Built as text rather than through an object literal with spreads: one of these per call.
  let text: string
  try {
    text = params === undefined ? '' : `,"params":${JSON.stringify(params)}`
  } catch (error) {
    throw new TypeError(`The arguments of WebSocket call "${method}" cannot be sent as JSON: ${(error as Error).message}`, { cause: error })
  }
  return `{"jsonrpc":"2.0",${id === undefined ? '' : `"id":${id},`}"method":${JSON.stringify(method)}${text}}`
}
