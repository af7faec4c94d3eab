/**
 * Reads the result of a `json` route.
 *
 * @module
 */
import type { Exchange } from './request.js'

/** The parsed JSON body; `undefined` for 204, HEAD and empty bodies (a handler that returned nothing). */
export async function readJsonResult({ request, response, release }: Exchange): Promise<unknown> {
  try {
    if (response.status === 204 || request.method === 'HEAD') {
      await response.body?.cancel()
      return undefined
    }
    const text = await response.text()
    if (text === '') return undefined
    try {
      return JSON.parse(text)
    } catch {
      const type = response.headers.get('content-type') ?? 'none'
      throw new TypeError(
        `${request.method} ${request.url} answered ${response.status} with a body that is not JSON (content type: ${type}): the client manifest may be out of date with the server.`,
      )
    }
  } finally {
    release()
  }
}
