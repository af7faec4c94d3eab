/**
 * Reading an upgrade request, every byte of which the client chose: whether it asks for a
 * WebSocket, its URL (from the request target and the `Host` header, refused when either cannot be
 * read), its origin, and the web `Request` the engine sees. Nothing here throws on what a client
 * sends.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { WsUpgrade } from '../service/ws/peer.js'

/** Does the request ask for a WebSocket (`Upgrade: websocket`, alone or in a list)? */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade
  return typeof upgrade === 'string' && upgrade.split(',').some((token) => token.trim().toLowerCase() === 'websocket')
}

/** A host name, IPv4 or bracketed IPv6 address, then an optional port: nothing else may be in `Host`. */
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[^\s/?#@[\]\\:]+)(?::\d{1,5})?$/

/** The request's URL, or why it cannot be read (the upgrade is then refused with 400). */
export function upgradeUrl(req: IncomingMessage): { url: URL } | { problem: string } {
  const target = req.url ?? ''
  // Absolute form (`GET http://host/path`), which HTTP/1.1 servers must accept, names its own host.
  if (/^https?:\/\//i.test(target) || /^wss?:\/\//i.test(target)) return parse(target, 'the request target is not a valid URL')
  if (!target.startsWith('/')) return { problem: 'the request target must be a path (such as /api/ws) or an absolute URL' }
  const host = req.headers.host ?? (req.httpVersion === '1.0' ? 'localhost' : undefined)
  if (host === undefined) return { problem: 'the Host header is missing' }
  if (!HOST.test(host)) return { problem: 'the Host header is not a host name with an optional port' }
  // Appended, not resolved against a base: `//x` is a path here, not a host.
  return parse(`http://${host}${target}`, 'the Host header and the request target do not make a valid URL')
}

function parse(text: string, problem: string): { url: URL } | { problem: string } {
  try {
    return { url: new URL(text) }
  } catch {
    return { problem }
  }
}

/** Same-origin (the `Origin`'s host is the request's) unless `allowed` lists origins exactly. */
export function originAllowed(origin: string, host: string, allowed: readonly string[] | undefined): boolean {
  if (allowed) return allowed.includes(origin)
  try {
    return new URL(origin).host === host
  } catch {
    return false
  }
}

/** The engine's view of an upgrade, whose `Request` is built on first read from the raw headers. */
export function lazyUpgrade(url: URL, headers: IncomingMessage['headers'], ip: string): WsUpgrade {
  let request: Request | undefined
  return {
    ip,
    get request() {
      return (request ??= new Request(url, { headers: toHeaders(headers) }))
    },
  }
}

/** Node's headers as web `Headers`; a value `Headers` refuses is left out rather than thrown on later. */
function toHeaders(raw: IncomingMessage['headers']): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) {
      try {
        headers.append(name, item)
      } catch {
        // Node's parser and the Fetch standard disagree on a few bytes; the engine never needs them.
      }
    }
  }
  return headers
}
