/**
 * Serving, as the plain HTTP request it also is, a request whose `Upgrade` header we do not take
 * (an h2c offer, `Upgrade: foo`, a POST carrying one). Node hands every request with
 * `Connection: upgrade` to the `upgrade` listeners once there is one, with its socket detached from
 * the HTTP parser; the request is written back in front of the bytes that followed it, without its
 * upgrade offer, and the socket is given to the HTTP server again (its documented `connection`
 * event, which also takes injected sockets), which parses it, body and keep-alive included, as any
 * other request.
 *
 * @module
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'

export function serveAsHttp(server: Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`]
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    const lower = name.toLowerCase()
    if (lower === 'upgrade') continue
    if (lower === 'connection') {
      const kept = raw[i + 1]!
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== '' && token.toLowerCase() !== 'upgrade')
      if (kept.length > 0) lines.push(`${name}: ${kept.join(', ')}`)
      continue
    }
    lines.push(`${name}: ${raw[i + 1]}`)
  }
  // Node decodes header bytes as latin1: encoding them back as latin1 restores them as sent.
  const request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
  socket.unshift(head.length > 0 ? Buffer.concat([request, head]) : request)
  server.emit('connection', socket)
}
