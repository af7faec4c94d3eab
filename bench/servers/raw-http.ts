/**
 * The baseline: `node:http` doing by hand what the wirerpc server does for these two routes
 * (route match, query and body parsing, 1 MiB body limit, content-type and type checks, JSON out).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { announce, createUser, findUser, pickFields } from './work.js'

const MAX_BODY = 1024 * 1024
const USER_PATH = /^\/users\/([^/]+)$/

function send(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function getUser(res: ServerResponse, rawId: string, query: URLSearchParams): void {
  let idText: string
  try {
    idText = decodeURIComponent(rawId)
  } catch {
    return send(res, 400, { message: 'Invalid path: bad percent-encoding.' })
  }
  const id = Number(idText)
  if (idText.trim() === '' || !Number.isFinite(id)) return send(res, 400, { message: 'Invalid path: /id must be a number.' })
  const fields = query.getAll('fields')
  if (fields.length > 1) return send(res, 400, { message: 'Invalid query string: /fields must be a string.' })
  send(res, 200, pickFields(findUser(id), fields[0]))
}

function isValidNewUser(body: unknown): body is Parameters<typeof createUser>[0] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false
  const { name, email, age, tags } = body as Record<string, unknown>
  return (
    typeof name === 'string' && name.length > 0 && typeof email === 'string' &&
    typeof age === 'number' && Number.isInteger(age) && age >= 0 &&
    Array.isArray(tags) && tags.every((tag) => typeof tag === 'string')
  )
}

function postUser(req: IncomingMessage, res: ServerResponse): void {
  const type = req.headers['content-type'] ?? ''
  if (type !== '' && !/^application\/([\w.-]+\+)?json\b/i.test(type)) return send(res, 415, { message: 'Send JSON.' })
  const chunks: Buffer[] = []
  let size = 0
  req.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size > MAX_BODY) {
      send(res, 413, { message: 'Body too large.' })
      req.destroy()
    } else chunks.push(chunk)
  })
  req.on('end', () => {
    let body: unknown
    try {
      body = size === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      return send(res, 400, { message: 'Invalid JSON in the request body.' })
    }
    if (!isValidNewUser(body)) return send(res, 400, { message: 'Invalid request body.' })
    send(res, 200, createUser(body))
  })
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  const match = USER_PATH.exec(url.pathname)
  if (match && (req.method === 'GET' || req.method === 'HEAD')) return getUser(res, match[1]!, url.searchParams)
  if (url.pathname === '/users' && req.method === 'POST') return postUser(req, res)
  send(res, 404, { message: `No route matches ${url.pathname}.` })
})

server.listen(0, '127.0.0.1', () => {
  announce((server.address() as AddressInfo).port, async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
})
