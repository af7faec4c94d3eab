/**
 * An incremental parser of JSON text sequences (RFC 7464): each record is the record separator
 * U+001E, one JSON text, and a line feed.
 *
 * @module
 */
import { RECORD_SEPARATOR } from '../../protocol/http.js'

/**
 * Yields each record's value as soon as it is complete. Returning early (`break` in `for await`)
 * cancels the body, which closes the connection and stops the server's generator.
 */
export async function* readJsonSeq(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown, void, undefined> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let finished = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true })
      // Every piece but the last is followed by a separator, so it is complete.
      const pieces = buffer.split(RECORD_SEPARATOR)
      buffer = pieces.pop()!
      for (const piece of pieces) if (piece.trim() !== '') yield parseRecord(piece)
      if (done) {
        finished = true
        if (buffer.trim() !== '') yield parseRecord(buffer)
        return
      }
      // The last record ends with a line feed: deliver it now rather than when the next one
      // starts. A line feed inside pretty-printed JSON fails to parse; that record waits.
      if (buffer.endsWith('\n') && buffer.trim() !== '') {
        const parsed = tryParse(buffer)
        if (parsed.ok) {
          buffer = ''
          yield parsed.value
        }
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {})
    reader.releaseLock()
  }
}

function parseRecord(text: string): unknown {
  const parsed = tryParse(text)
  if (parsed.ok) return parsed.value
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text
  throw new SyntaxError(`Malformed record in a JSON text sequence: ${JSON.stringify(shown)} is not valid JSON.`)
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}
