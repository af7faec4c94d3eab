/**
 * Reads a request's `data`: the query string for GET/HEAD/DELETE, the body otherwise, with the
 * body size limit applied while reading (docs/routes.md, "Request data").
 *
 * @module
 */
import type { BodyFormat } from '../../protocol/manifest.js'
import { MAX_QUERY_DEPTH, MAX_QUERY_PARAMETERS } from '../../protocol/query.js'
import { decodeQuery } from '../../protocol/query-decode.js'
import { HttpError } from '../errors.js'
import { nestedTooDeep } from '../json-depth.js'
import { assertNoPollutingKeys, assertNoPollutingQueryKeys, badRequest } from './validate.js'

export function readQuery(url: URL): Record<string, unknown> {
  assertNoPollutingQueryKeys(url.search)
  try {
    return decodeQuery(url.search)
  } catch {
    throw badRequest({
      message: `Invalid query string: it nests deeper than ${MAX_QUERY_DEPTH} levels or has more than ${MAX_QUERY_PARAMETERS} parameters.`,
      in: 'query',
    })
  }
}

const FORM_TYPES = /^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i
const JSON_TYPE = /^application\/([\w.-]+\+)?json\b/i

/** The limits a body is read within (compileRoutes' options of the same names). */
export interface BodyLimits {
  maxBodySize: number
  maxDepth: number
}

/**
 * Reads the body of a POST/PUT/PATCH request. `json` bodies are parsed (an empty body reads as
 * `{}`); `raw` bodies arrive as `FormData` or `Blob`. Throws 413 past `maxBodySize` bytes, 415 for a
 * missing or non-JSON content type on a non-empty JSON body, 400 for malformed JSON or JSON nested
 * deeper than `maxDepth`.
 */
export async function readBody(request: Request, format: BodyFormat, { maxBodySize, maxDepth }: BodyLimits): Promise<unknown> {
  const type = request.headers.get('content-type') ?? ''
  if (format === 'json' && type !== '' && !JSON_TYPE.test(type)) {
    throw new HttpError(415, `Unsupported content type "${type}": this route takes a JSON body; send "content-type: application/json".`)
  }
  if (format === 'json') {
    const text = await readText(request, maxBodySize)
    // A body with no content type is refused: browsers send such bodies cross-site without a
    // preflight (an untyped Blob), while a JSON content type always triggers one.
    if (type === '' && text.trim() !== '') {
      throw new HttpError(415, 'Missing content type: this route takes a JSON body; send "content-type: application/json".')
    }
    return parseJsonBody(text, maxDepth)
  }
  const bytes = await readBytes(request, maxBodySize)
  if (!FORM_TYPES.test(type)) return new Blob([bytes], { type })
  try {
    return await new Response(bytes, { headers: { 'content-type': type } }).formData()
  } catch {
    throw badRequest({ message: `Invalid form body: it does not parse as "${type}".`, in: 'body' })
  }
}

function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text === '') return {}
  if (nestedTooDeep(text, maxDepth)) {
    throw badRequest({ message: `Invalid JSON in the request body: it nests deeper than ${maxDepth} levels (maxDepth).`, in: 'body' })
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw badRequest({ message: `Invalid JSON in the request body: ${(error as Error).message}.`, in: 'body' })
  }
  assertNoPollutingKeys(data, 'body')
  return data
}

const tooLarge = (limit: number) =>
  new HttpError(413, `Request body is larger than ${limit} bytes (maxBodySize): send less data, or raise maxBodySize on the server.`)

/**
 * HTTP framing stops a body at its declared length, so a body whose `content-length` is within the
 * limit is read whole with `text()` (on Node, srvx then reads the socket directly instead of
 * building a web stream); only bodies of unknown length are counted chunk by chunk.
 */
async function readText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get('content-length')
  if (declared === null) return new TextDecoder().decode(await readBytes(request, limit))
  if (Number(declared) > limit) throw tooLarge(limit)
  return request.text()
}

async function readBytes(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  if (Number(request.headers.get('content-length')) > limit) throw tooLarge(limit)
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array<ArrayBuffer>[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge(limit)
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]!
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
